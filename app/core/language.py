"""What differs per language, in one value: Twilio's voice and recogniser, the words for digits, the
letters kept when words are matched, the SMS alphabet, the editors' reading and hard-word rules.

Code paths never test for a language: they read its `Language`. Content (what the line says, the words
callers use) lives in content/<code>/; this holds what is about the language itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping


@dataclass(frozen=True)
class Readability:
    """The reading-level rule editors' text must meet: a textstat formula and its limits.

    `harder_when_higher` is True for grade formulas (Flesch-Kincaid: a higher grade is harder) and False
    for ease formulas (Fernández Huerta: a higher score is easier)."""

    formula: str  # the name of a textstat function, e.g. "flesch_kincaid_grade"
    textstat_language: str  # textstat.set_lang() code
    part_limit: float  # no spoken part or answer past this
    topic_limit: float  # a whole topic, on average
    harder_when_higher: bool = True

    def too_hard(self, score: float, limit: float) -> bool:
        """Whether a score is past a limit, in the formula's direction."""
        return score > limit if self.harder_when_higher else score < limit


@dataclass(frozen=True)
class SmsAlphabet:
    """How replies travel: characters folded before sending (to stay in GSM-7), and the most segments a reply takes."""

    max_segments: int
    folded: Mapping[str, str] = field(default_factory=dict)

    def fold(self, text: str) -> str:
        """The text as it is sent: each folded character replaced."""
        return "".join(self.folded.get(ch, ch) for ch in text) if self.folded else text


@dataclass(frozen=True)
class Editorial:
    """What the editorial checks look for in one language: advice, claims, keys promised, sentences.

    Each rule is written once, here, and every check that needs it reads it from the line's language."""

    # "You should stop...", "Usted debe dejar...": advice about a person's own treatment, anywhere.
    should: re.Pattern[str]
    # "Do not take...", "No deje...", anywhere in a sentence.
    do_not: re.Pattern[str]
    # A sentence that starts with an order ("Stop taking Ocrevus.") counts when a treatment word follows.
    order: re.Pattern[str]
    treatment_words: re.Pattern[str]
    # Phrases that advise whatever follows ("we recommend", "it is right for you").
    advice_phrases: re.Pattern[str]
    # Claims no source allows, each with how to say what the sources do say.
    claims: tuple[tuple[re.Pattern[str], str], ...]
    # Words that deny a claim in the same clause ("not approved", "no está aprobado").
    negation: re.Pattern[str]
    clause_break: re.Pattern[str]
    # "...before CAR-T could be approved for MS" talks about a possible future, not a fact.
    hypothetical: re.Pattern[str]
    # "press 5", "oprima 5": a key the line promises; group 1 is the key (a digit, * or #, or a word).
    promised_key: re.Pattern[str]
    key_names: Mapping[str, str]  # "star" -> "*": keys said as words in a promise
    emergency_words: str  # an emergency answer begins with these
    neurologist: str  # every personal answer names this person
    sentence_end: re.Pattern[str] = re.compile(r"(?<=[.!?])\s+")
    # What a voice reads badly: web and e-mail addresses, and symbols (the same in every language).
    unspeakable: re.Pattern[str] = re.compile(r"https?:|\bwww\b|\.(?:com|gov|org|net)\b|[%&/@#+=]", re.IGNORECASE)
    max_sentence_words: int = 20
    # How a topic says how recent its research is, where it begins ("As of late 2025", "A finales de 2025").
    as_of: str = "as of {as_of}"
    # Words that show a sentence explains something ("Myelin is the coating...", "a marker called CD19").
    explanation_cues: re.Pattern[str] = re.compile(
        r"\b(is an?|is the|is when|is where|are|means|that is|called|call this|sold as|short for|kind of|like an?)\b",
        re.IGNORECASE)
    # A sentence that explains the one before it: "That is an immune reaction...", "It is a strong...".
    pointer_start: re.Pattern[str] = re.compile(r"^(that|this|these|it)\b", re.IGNORECASE)
    # An explanation right after a term: ", a marker on...", " (research studies in people)", not " (CRS)".
    explanation_after: re.Pattern[str] = re.compile(r",\s+an?\b|\s*\((?!\s*[A-Z0-9-]+\s*\))")
    # A name given just before a word: "a way called apheresis".
    named_before: re.Pattern[str] = re.compile(r"\b(?:called|named|known as|call this|call it)\s*$", re.IGNORECASE)

    def sentences(self, text: str) -> list[str]:
        """A text split after each full stop, question or exclamation mark."""
        return [s for s in self.sentence_end.split(text.strip()) if s]

    def is_question(self, sentence: str) -> bool:
        """A question ("Should I stop taking Ocrevus?", "¿Debo dejar...?") is what a caller asks, not advice."""
        stripped = sentence.strip()
        return stripped.endswith("?") or stripped.startswith("\u00bf")

    def gives_advice(self, sentence: str, order_reach: int = 5) -> str | None:
        """The words of a sentence that tell the listener what to do about their own treatment, if any."""
        if self.is_question(sentence):
            return None
        for pattern in (self.should, self.do_not, self.advice_phrases):
            match = pattern.search(sentence)
            if match:
                return match.group(0)
        order = self.order.match(sentence.strip())
        if order:
            reach = " ".join(sentence.strip()[order.end():].split()[:order_reach])
            if self.treatment_words.search(reach) or self.treatment_words.search(order.group(0)):
                return f"{order.group(0)} {reach}".strip()
        return None

    def unsupported_claim(self, sentence: str) -> tuple[str, str] | None:
        """(the words, what to say instead) when a sentence claims what no source allows, unless it denies it."""
        for pattern, advice in self.claims:
            for match in pattern.finditer(sentence):
                before = sentence[:match.start()]
                clause = self.clause_break.split(before)[-1]
                if self.negation.search(clause) or self.hypothetical.search(before):
                    continue
                return match.group(0), advice
        return None


@dataclass(frozen=True)
class Language:
    """One language of the line."""

    code: str  # the content folder: content/<code>/
    name: str  # in its own words: "English", "español"
    speech_language: str  # Twilio's <Say language> and <Gather language>, e.g. "en-US"
    voice: str  # Twilio's default voice (a setting may override it)
    letters: str  # letters besides a-z kept when words are matched (accents are folded away first)
    digit_words: Mapping[str, str]  # "two" -> "2"
    sounds_like_digits: Mapping[str, str]  # count as a key only after a key word: "press to"
    key_words: frozenset[str]  # words that say the next word is a key: "press", "number"
    number_fillers: frozenset[str]  # words wrapped around a spoken key: "please", "um"
    list_word: str  # the text word that brings the list of topics
    stemmer: str  # snowballstemmer's name for the language
    wordfreq: str  # wordfreq's language code, for the hard-word check
    readability: Readability
    sms: SmsAlphabet
    editorial: Editorial
    preview_voice: str  # the espeak-ng voice previews use: the closest to the callers' accent
    # Words that choose this language from anywhere ("español", "spanish"), spoken or texted.
    names: tuple[str, ...] = ()
    # Common words of the language, for telling a first text in it ("hola que es" is Spanish).
    common_words: frozenset[str] = frozenset()
    # The words Twilio's own opt-out handling answers by itself (when it is on, as by default), by group.
    # Any other word from the content ("opt out", PARAR) the line confirms itself.
    twilio_answers: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def normalize(self, text: str) -> str:
        """Lower-case words only, accents folded (the language's own letters kept), apostrophes dropped
        ("that's" and "thats" alike, "cómo" and "como" alike)."""
        return _normalized(text, self.letters)


@lru_cache(maxsize=2048)  # the same few words come again and again (and the checks explore them all)
def _normalized(text: str, letters: str) -> str:
    text = re.sub(r"['\u2019]", "", text.lower().replace("-", " "))
    text = fold_accents(text, letters)
    return " ".join(re.sub(rf"[^a-z0-9{letters} ]+", " ", text).split())


def fold_accents(text: str, keep: str = "") -> str:
    """Text without accents: "cómo" -> "como"; a letter in `keep` ("ñ") stays as it is."""
    if text.isascii():  # most messages and speech: nothing to fold
        return text
    return "".join(ch if ch in keep else "".join(c for c in unicodedata.normalize("NFKD", ch)
                                                  if not unicodedata.combining(c)) for ch in text)


# Verbs of advice about a person's own treatment.
_EN_VERBS = (r"stop|start|switch|take|quit|skip|avoid|change|try|get|begin|continue|keep|join|enrol|enroll|"
             r"sign up for|come off|go off|give up|drop|reduce|increase|ask for|have")
_EN_DIGITS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
              "seven": "7", "eight": "8", "nine": "9"}
_I = re.IGNORECASE

ENGLISH = Language(
    code="en",
    name="English",
    speech_language="en-US",
    voice="Polly.Joanna-Neural",
    letters="",
    digit_words=_EN_DIGITS,
    # Words a recogniser hears for a number, but which mean something else when said alone ("Oh.").
    sounds_like_digits={"oh": "0", "won": "1", "to": "2", "too": "2", "tree": "3", "for": "4"},
    key_words=frozenset({"press", "number", "option", "choice", "key", "pressing"}),
    number_fillers=frozenset({"please", "the", "i", "want", "um", "uh", "ok", "okay"}),
    list_word="MENU",
    stemmer="english",
    wordfreq="en",
    # Grade 8 at most for any part, 6 for a topic on average (DESIGN.md's accessibility rules).
    readability=Readability("flesch_kincaid_grade", "en_US", part_limit=8.0, topic_limit=6.0),
    sms=SmsAlphabet(max_segments=2),
    preview_voice="en-us",
    editorial=Editorial(
        should=re.compile(rf"\b(?:you|patients|people|everyone|anyone|callers)\s+(?:really\s+)?"
                          rf"(?:should|must|need to|have to|ought to|had better|'d better)\s+(?:not\s+|never\s+)?"
                          rf"(?:{_EN_VERBS})\b", _I),
        do_not=re.compile(r"\b(?:do not|don't|dont|never)\s+(?:stop|start|take|switch|skip|quit|change)\b", _I),
        order=re.compile(rf"^(?:please\s+)?(?:{_EN_VERBS})\b", _I),
        treatment_words=re.compile(
            r"\b(?:taking|using|medicines?|medications?|drugs?|treatments?|therapy|therapies|pills?|infusions?|"
            r"doses?|car-?t|trials?|ocrevus|ocrelizumab|rituximab|steroids?)\b", _I),
        advice_phrases=re.compile(r"\b(?:you should|you must|you need to|we recommend|i recommend|we suggest|"
                                  r"i suggest|(?:stop|start|keep) taking|"
                                  r"it is (?:right|safe) for you)\b", _I),
        claims=(
            (re.compile(r"\bcur(?:e|es|ed|ing)\b", _I),
             "no source says CAR-T cures MS; say what they say, like \"No study has shown that it cures MS.\""),
            (re.compile(r"\bguarantee(?:s|d)?\b", _I),
             "no treatment is guaranteed to work; say what studies found, like \"Early results suggest it may help.\""),
            (re.compile(r"\bapproved\s+(?:for|to treat|in)\s+(?:people\s+with\s+)?(?:MS|multiple sclerosis)\b", _I),
             "CAR-T is not approved for MS; say so, like \"CAR-T is not approved for MS.\""),
            (re.compile(r"\b(?:safe|harmless)\s+for\s+(?:everyone|everybody|anyone|all)\b|\b(?:completely|totally|"
                        r"perfectly|entirely|100 percent)\s+safe\b|\brisk-free\b|\bno\s+side\s+effects\b", _I),
             "no treatment is safe for everyone; say what studies found, like "
             "\"Early results suggest it may be safe.\""),
        ),
        negation=re.compile(r"\b(?:not|no|never|nor|neither|none|nothing|without|cannot|nobody|isn't|aren't|wasn't|"
                            r"hasn't|haven't|doesn't|don't|didn't|won't|can't|unlikely)\b|n't\b", _I),
        clause_break=re.compile(r"[,;:\u2014]|\bbut\b|\band\b", _I),
        hypothetical=re.compile(r"\b(?:could|would|might|may|can|must|will)\s+(?:\w+\s+)?(?:be|become|get)\s*$", _I),
        promised_key=re.compile(r"\bpress(?:ing)?\s+(?:the\s+)?([0-9*#]|[a-z]+)\b", _I),
        key_names={**_EN_DIGITS, "star": "*", "pound": "#", "hash": "#"},
        emergency_words="call 911",
        neurologist="neurologist",
    ),
    names=("english", "ingles"),
    twilio_answers={
        "stop": frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}),
        "start": frozenset({"START", "YES", "UNSTOP"}),
        "help": frozenset({"HELP", "INFO"}),
    },
)

# Spanish verbs of stopping, starting or changing a treatment, as advice puts them ("debe dejar").
_ES_VERBS = (r"dejar|parar|suspender|interrumpir|empezar|comenzar|iniciar|cambiar|tomar|probar|pedir|evitar|"
             r"continuar|seguir|reducir|aumentar|abandonar|recibir|hacerse|inscribirse|unirse|apuntarse")
# The same verbs as an order to "usted": "Deje su tratamiento."
_ES_ORDERS = (r"deje|pare|suspenda|interrumpa|empiece|comience|inicie|cambie|tome|pruebe|pida|evite|contin[uú]e|"
              r"siga|reduzca|aumente|abandone|reciba|h[aá]gase|inscr[ií]base|[uú]nase|ap[uú]ntese")
_ES_DIGITS = {"cero": "0", "uno": "1", "una": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5",
              "seis": "6", "siete": "7", "ocho": "8", "nueve": "9"}

SPANISH = Language(
    code="es",
    name="español",
    speech_language="es-US",
    voice="Polly.Lupe-Neural",
    letters="ñ",
    digit_words=_ES_DIGITS,
    # What a recogniser may write for a number; a key only after a key word ("oprima un").
    sounds_like_digits={"un": "1", "do": "2", "cuarto": "4", "sais": "6", "nieve": "9"},
    key_words=frozenset({"oprima", "oprimir", "marque", "marcar", "presione", "pulse", "numero", "opcion",
                         "tecla"}),
    number_fillers=frozenset({"por", "favor", "el", "la", "quiero", "eh", "este", "bueno", "ok", "pues"}),
    list_word="MENU",
    stemmer="spanish",
    wordfreq="es",
    # Fernández Huerta's reading ease (higher is easier): 70-80 is "bastante fácil" (about 6th grade) for a
    # topic on average, and no part below 60, "normal" (about 7th-8th grade): the English limits' counterpart.
    readability=Readability("fernandez_huerta", "es", part_limit=60.0, topic_limit=70.0, harder_when_higher=False),
    # GSM-7 has é, ñ, ü, ¿ and ¡ but not á, í, ó, ú: those are sent without the accent, so a reply stays
    # at 153 characters a segment instead of UCS-2's 67; Spanish runs longer, so 3 segments.
    sms=SmsAlphabet(max_segments=3, folded={"á": "a", "í": "i", "ó": "o", "ú": "u",
                                            "Á": "A", "Í": "I", "Ó": "O", "Ú": "U"}),
    preview_voice="es-419",  # espeak-ng's Latin American Spanish, nearer US Spanish than Spain's
    editorial=Editorial(
        should=re.compile(rf"\b(?:usted(?:es)?\s+|los pacientes\s+|las personas\s+|todos\s+)?"
                          rf"(?:debe|deben|deber[ií]a|deber[ií]an|tiene que|tienen que|necesita|necesitan|hay que)"
                          rf"\s+(?:no\s+|nunca\s+)?(?:{_ES_VERBS})\b", _I),
        do_not=re.compile(rf"\b(?:no|nunca)\s+(?:{_ES_ORDERS})\b", _I),
        order=re.compile(rf"^(?:por favor,?\s+)?(?:{_ES_ORDERS})\b", _I),
        treatment_words=re.compile(
            r"\b(?:tratamientos?|medicinas?|medicamentos?|f[aá]rmacos?|pastillas?|infusi(?:[oó]n|ones)|dosis|"
            r"car-?t|ensayos?|terapias?|ocrevus|ocrelizumab|rituximab|esteroides?|tomar|tomando)\b", _I),
        advice_phrases=re.compile(r"\b(?:le recomend\w+|recomendamos|le suger\w+|le aconsej\w+|deje de tomar|"
                                  r"siga tomando|empiece a tomar|es (?:lo )?(?:correcto|seguro|adecuado) para usted)\b",
                                  _I),
        claims=(
            (re.compile(r"\bcur(?:a|an|ar|ará|ó|ado|ada|aci[oó]n)\b", _I),
             "ninguna fuente dice que CAR-T cura la EM; diga lo que dicen: "
             "\"Ningún estudio ha mostrado que la cure.\""),
            (re.compile(r"\bgarantiz\w*|\bgarant[ií]a\b", _I),
             "ningún tratamiento tiene éxito garantizado; diga lo que encontraron los estudios."),
            (re.compile(r"\baprobad[oa]s?\s+(?:para|en)\s+(?:(?:las\s+)?personas\s+con\s+)?(?:la\s+)?"
                        r"(?:EM|esclerosis\s+m[uú]ltiple)\b", _I),
             "CAR-T no está aprobado para la EM; dígalo así: \"CAR-T no está aprobado para la EM.\""),
            (re.compile(r"\bsegur[oa]s?\s+para\s+(?:todos|todas|todo el mundo|cualquiera)\b|\b(?:completamente|"
                        r"totalmente|100 por ciento)\s+segur[oa]\b|\bsin\s+riesgos?\b|\bsin\s+efectos\s+secundarios\b",
                        _I),
             "ningún tratamiento es seguro para todos; diga lo que encontraron los estudios."),
        ),
        negation=re.compile(r"\b(?:no|ni|nunca|jam[aá]s|ning[uú]n|ninguna|ninguno|nada|nadie|sin|tampoco)\b", _I),
        clause_break=re.compile(r"[,;:\u2014]|\bpero\b|\by\b", _I),
        hypothetical=re.compile(r"\b(?:podr[ií]an?|puedan?|pueden?|ser[aá]n?|ser[ií]an?)\s+(?:\w+\s+)?"
                                r"(?:ser|estar|quedar)?\s*$|\b(?:sea|sean|est[eé])\s*$", _I),
        promised_key=re.compile(r"\b(?:oprima|marque|presione|pulse)\s+(?:el\s+|la\s+tecla\s+)?"
                                r"([0-9*#]|[a-záéíóúñ]+)\b", _I),
        key_names={**_ES_DIGITS, "asterisco": "*", "estrella": "*", "numeral": "#", "almohadilla": "#"},
        emergency_words="llame al 911",
        neurologist="neurólog",
        as_of="a {as_of}",
        explanation_cues=re.compile(r"\b(es una?|es otr[oa]|es el|es la|es cuando|es donde|son|significa|"
                                    r"quiere decir|se llama|llamad[oa]s?|se llaman|de marca|como una?|un tipo de|"
                                    r"una forma de|es decir|que es|que son)\b", _I),
        pointer_start=re.compile(r"^(eso|esto|esta|estas|estos|es|son)\b", _I),
        explanation_after=re.compile(r",\s+(?:una?|unas|unos|el|la|los|las|es decir|que)\b|:\s|"
                                     r"\s*\((?!\s*[A-Z0-9-]+\s*\))"),
        named_before=re.compile(r"\b(?:llamad[oa]s?|se llama|se llaman|conocid[oa] como|de marca|llaman a esto|"
                                r"se le llama)\s*$", _I),
    ),
    names=("espanol", "español", "spanish"),
    # Frequent Spanish words that are not English words: a first text made mostly of these is in Spanish.
    common_words=frozenset({
        "hola", "que", "como", "cual", "cuales", "cuando", "donde", "quien", "por", "para", "favor", "gracias",
        "el", "la", "los", "las", "del", "de", "es", "son", "esta", "estan", "una", "uno", "unos", "y", "o",
        "mi", "mis", "su", "sus", "yo", "usted", "tengo", "tiene", "quiero", "puedo", "puede", "necesito",
        "informacion", "tratamiento", "efectos", "secundarios", "riesgos", "ensayo", "ensayos", "estudio",
        "medico", "neurologo", "esclerosis", "multiple", "buenos", "dias", "buenas", "tardes", "si", "sobre",
        "funciona", "cuesta", "preguntas", "ayuda", "menu", "mas", "con", "sin", "pero", "muy", "bien",
        "ya", "me", "nada", "todo", "ahora", "porfa", "mensajes", "textos", "manden", "envien", "escriban",
    }),
)

LANGUAGES: dict[str, Language] = {ENGLISH.code: ENGLISH, SPANISH.code: SPANISH}


def language(code: str) -> Language:
    """The language with this code; a ValueError names the ones there are."""
    try:
        return LANGUAGES[code]
    except KeyError:
        raise ValueError(f"no language {code!r}; the line has {', '.join(sorted(LANGUAGES))}") from None
