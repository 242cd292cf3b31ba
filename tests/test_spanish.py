"""Spanish, end to end: the language as a value (letters, digits, SMS alphabet, editorial rules), choosing it
by voice and by text, and the two languages kept in step. Runs on tests/bilingual/ (content/en and a small
Spanish line the tests own)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import NUMBER, send

from app.cli.check import check
from app.core import gsm
from app.core.checks import languages_in_step
from app.core.checks.safety import gives_advice, unsupported_claim
from app.core.content import load_line
from app.core.hearing import spoken_digit
from app.core.language import ENGLISH, SPANISH
from app.phone import DEFAULT_LINE_PHONE_NUMBER, Phone
from app.services import services

BILINGUAL = Path(__file__).parent / "bilingual"
SPANISH_NUMBER = "+12025550111"


# ----- the language as a value ---------------------------------------------------------------------

def test_spanish_words_match_with_or_without_accents_and_keep_the_enye():
    assert SPANISH.normalize("¿Cómo funciona?") == SPANISH.normalize("como funciona") == "como funciona"
    assert SPANISH.normalize("Español, por favor") == "español por favor"
    assert ENGLISH.normalize("Español") == "espanol"  # English keeps a-z only: "español" and "espanol" alike


@pytest.mark.parametrize("said, key", [("dos", "2"), ("oprima tres", "3"), ("el número cinco", "5"),
                                       ("oprima un", "1"), ("nueve por favor", "9")])
def test_spanish_digits_are_keys(said, key):
    assert spoken_digit(SPANISH.normalize(said), SPANISH) == key


def test_a_sound_alike_is_a_key_only_after_a_key_word():
    assert spoken_digit(SPANISH.normalize("un"), SPANISH) is None
    assert spoken_digit(ENGLISH.normalize("two"), ENGLISH) == "2"


def test_spanish_texts_fold_the_accents_gsm7_lacks_and_keep_the_ones_it_has():
    folded = SPANISH.sms.fold("¿Qué es? Información útil, más allá: ñandú, pingüino, ¡sí!")
    assert folded == "¿Qué es? Informacion util, mas alla: ñandu, pingüino, ¡si!"
    assert gsm.non_gsm7_characters(folded) == []
    assert ENGLISH.sms.fold("más") == "más"  # English folds nothing: its checker refuses the character


def test_segment_limits_differ_per_language():
    assert (ENGLISH.sms.max_segments, SPANISH.sms.max_segments) == (2, 3)
    assert gsm.max_chars(2) == 306 and gsm.max_chars(3) == 459
    assert gsm.segment_count("a" * 459) == 3 and gsm.segment_count("a" * 460) == 4


@pytest.mark.parametrize("sentence", ["Usted debe dejar su tratamiento.", "Debe dejar el Ocrevus.",
                                      "No deje su tratamiento.", "Deje de tomar su medicina.",
                                      "Le recomendamos probar CAR-T."])
def test_spanish_advice_is_refused(sentence):
    assert gives_advice(sentence, SPANISH)


@pytest.mark.parametrize("sentence", ["¿Debo dejar mi tratamiento?", "Su neurólogo puede decirle qué es mejor.",
                                      "Pregunte a su neurólogo antes de cambiar nada."])
def test_spanish_questions_and_pointers_to_the_doctor_are_not_advice(sentence):
    assert gives_advice(sentence, SPANISH) is None


@pytest.mark.parametrize("sentence, words", [("CAR-T cura la EM.", "cura"),
                                             ("Ya está aprobado para la EM.", "aprobado para la EM"),
                                             ("Es seguro para todos.", "seguro para todos")])
def test_spanish_claims_are_found(sentence, words):
    found = unsupported_claim(sentence, SPANISH)
    assert found and found[0] == words


@pytest.mark.parametrize("sentence", ["CAR-T no está aprobado para la EM.",
                                      "Ningún estudio ha mostrado que cura la EM."])
def test_denied_spanish_claims_are_fine(sentence):
    assert unsupported_claim(sentence, SPANISH) is None


def test_the_spanish_line_reads_with_the_spanish_rules():
    line = load_line(BILINGUAL, "es")
    assert line.lang is SPANISH and line.lang.readability.formula == "fernandez_huerta"


# ----- the languages in step -----------------------------------------------------------------------

@pytest.fixture
def both(tmp_path):
    """A copy of content/en and the Spanish test line, to break."""
    folder = tmp_path / "content"
    shutil.copytree(BILINGUAL / "en", folder / "en")
    shutil.copytree(BILINGUAL / "es", folder / "es")
    return folder


def test_the_languages_are_in_step(both):
    assert languages_in_step(both, ["en", "es"]) == []


def test_a_topic_missing_in_one_language_is_an_error_naming_the_file(both):
    (both / "es/topics/risks.md").unlink()
    menu = (both / "es/line.yaml").read_text()
    (both / "es/line.yaml").write_text(menu.replace('      - key: "3"\n        topic: risks\n', ""))
    found = [str(p) for p in languages_in_step(both, ["en", "es"])]
    assert any("es/topics/risks.md" in p and "topic 'risks'" in p and "not here" in p for p in found), found


def test_a_key_that_differs_between_languages_is_an_error(both):
    text = (both / "es/line.yaml").read_text().replace('  repeat:\n    key: "9"', '  repeat:\n    key: "3"')
    (both / "es/line.yaml").write_text(text)
    found = [str(p) for p in languages_in_step(both, ["en", "es"])]
    assert any("reserved 'repeat'" in p for p in found), found


# ----- calls ---------------------------------------------------------------------------------------

@pytest.fixture
def bilingual(make_app):
    return make_app(TWILIO_AUTH_TOKEN="t", CONTENT_DIR=str(BILINGUAL), CONTACT_NUMBER="+12025550199",
                    NUMBER_LANGUAGES=f"{SPANISH_NUMBER}=es")


def languages(reply):
    return [(say.language, say.voice) for say in reply.says]


def test_the_english_greeting_offers_spanish_in_spanish_in_one_sentence(bilingual):
    reply = Phone.for_app(bilingual).call().last
    offers = [say for say in reply.says if say.language == "es-US"]
    assert [say.text for say in offers] == ["Para español, marque asterisco, o diga español."]
    assert offers[0].voice == "Polly.Lupe-Neural"
    assert reply.gather.language == "en-US"


def test_an_emergency_said_in_spanish_on_the_english_line_gets_the_spanish_emergency_words(bilingual):
    call = Phone.for_app(bilingual).call()
    reply = call.say("no puedo respirar")
    spanish = [say for say in reply.says if say.language == "es-US"]
    assert spanish[0].text.startswith("Si es una emergencia, cuelgue y llame al 911")
    assert spanish[0].voice == "Polly.Lupe-Neural" and "marque asterisco" in spanish[0].text
    assert reply.gather.language == "en-US"  # the call goes on in English until the caller switches
    assert "síndrome de liberación de citocinas" in call.press("*").text + call.press("3").text


@pytest.mark.parametrize("how, what", [("press", "*"), ("say", "español"), ("say", "espanol"), ("say", "Spanish")])
def test_spanish_by_star_or_by_name_is_remembered_for_the_next_call(bilingual, how, what):
    phone = Phone.for_app(bilingual)
    call = phone.call()
    reply = getattr(call, how)(what)
    assert "Bienvenido" in reply.text and reply.gather.language == "es-US"
    assert {say.language for say in reply.says} == {"es-US", "en-US"}  # the offer of English is in English
    assert any("ensayos" in hint for hint in reply.gather.hints)
    reply = call.press("3")
    assert "síndrome de liberación de citocinas" in reply.text and reply.gather.language == "es-US"
    call.hang_up()
    assert "Bienvenido" in phone.call().last.text


def test_inside_spanish_english_or_star_goes_back_and_is_remembered(bilingual):
    phone = Phone.for_app(bilingual)
    call = phone.call()
    call.press("*")
    reply = call.say("inglés")
    assert reply.text.startswith("Welcome") and reply.gather.language == "en-US"
    call.press("*")
    assert call.press("*").text.startswith("Welcome")
    call.hang_up()
    assert phone.call().last.text.startswith("Welcome")


def test_a_number_mapped_to_spanish_greets_in_spanish_and_offers_english(bilingual):
    phone = Phone(bilingual.test_client(), "http://localhost/", "t", line_phone_number=SPANISH_NUMBER)
    reply = phone.call().last
    assert reply.text.startswith("Bienvenido")
    assert [s.text for s in reply.says if s.language == "en-US"] == ["For English, press star, or say English."]
    assert Phone.for_app(bilingual).call(caller="+15559876543").last.text.startswith("Welcome")
    assert DEFAULT_LINE_PHONE_NUMBER != SPANISH_NUMBER


def test_forget_me_forgets_the_language(bilingual):
    phone = Phone.for_app(bilingual)
    call = phone.call()
    call.press("*")
    call.say("olvídeme")
    assert "olvidó" in call.press("1").text
    call.hang_up()
    assert phone.call().last.text.startswith("Welcome")


def test_one_language_served_star_does_nothing(make_app):
    app = make_app(TWILIO_AUTH_TOKEN="t", LANGUAGES="en")
    reply = Phone.for_app(app).call().last
    assert all(say.language == "en-US" for say in reply.says)
    call = Phone.for_app(app).call(caller="+15550000003")
    assert "not one of the choices" in call.press("*").text


# ----- texts ---------------------------------------------------------------------------------------

@pytest.fixture
def client(make_app):
    return make_app(CONTENT_DIR=str(BILINGUAL), SMS_OPT_OUT_BY_TWILIO=False).test_client()


@pytest.mark.parametrize("word", ["ESPAÑOL", "espanol", "Spanish"])
def test_a_language_word_switches_replies_to_spanish_and_is_remembered(client, word):
    assert "Responda con una" in send(client, word)[0]
    assert send(client, "RIESGOS")[0].startswith("1/2 A finales de 2025")
    assert "Responda MAS" in send(client, "3")[0]
    assert send(client, "INGLES")[0].startswith("CAR-T and MS info line")
    assert "Reply MORE" in send(client, "RISKS")[0]


def test_a_first_message_plainly_in_spanish_is_answered_in_spanish(client):
    assert send(client, "Hola, ¿qué es CAR-T?")[0].startswith("A finales de 2025, CAR-T es un tratamiento")
    assert "Responda con una" in send(client, "MENU")[0]  # remembered
    assert "Reply with a word" in send(client, "MENU", "+15550000001")[0]  # MENU is English too: the default
    assert "As of late 2025" in send(client, "what are the side effects", "+15550000002")[0]


def test_spanish_replies_fold_accents_and_stay_within_three_segments(client):
    send(client, "ESPAÑOL")
    for word in ("MENU", "QUE", "ESTADO", "RIESGOS", "MAS", "ENSAYOS", "PREGUNTAS", "AYUDA", "gracias"):
        for reply in send(client, word):
            assert gsm.non_gsm7_characters(reply) == [] and gsm.segment_count(reply) <= 3, reply


@pytest.mark.parametrize("word", ["PARAR", "alto", "Basta", "CANCELAR"])
def test_spanish_stop_words_opt_out_like_stop(client, word):
    assert send(client, word)[0].startswith("No recibira mas mensajes")
    assert send(client, "RIESGOS") == []
    assert send(client, "COMENZAR")[0].startswith("Puede recibir mensajes")
    assert send(client, "RIESGOS")


def test_an_emergency_in_spanish_is_answered_in_spanish_whatever_the_texters_language(client):
    # "no puedo respirar" is not plainly Spanish to the first-message check ("no" is English too); an emergency in
    # any language the line serves is answered, in that language, and the texter's language stays as it was.
    assert send(client, "no puedo respirar")[0].startswith("Si es una emergencia")
    assert "Reply MORE" in send(client, "RISKS")[0]
    assert send(client, "Pare, no puedo respirar", "+15550000003")[0].startswith("Si es una emergencia")
    assert send(client, "RIESGOS", "+15550000003")  # not opted out: the emergency came first


@pytest.mark.parametrize("message, reply", [("Stop, this is a scam", "You will get no more"),
                                            ("STOP!! who is this", "You will get no more"),
                                            ("PARAR, es una estafa", "No recibira mas mensajes")])
def test_a_stop_word_as_the_first_clause_opts_out(client, message, reply):
    assert send(client, message)[0].startswith(reply)
    assert send(client, "RISKS") == []


def test_stop_then_an_emergency_in_english_gets_the_emergency_words(client):
    # Read in Spanish, "Stop, I can't breathe" is STOP and some words: the English emergency comes first.
    assert send(client, "Stop, I can't breathe")[0].startswith("If this is an emergency")
    assert send(client, "RISKS")


def test_ayuda_answers_in_spanish_and_help_in_english(client):
    assert send(client, "AYUDA")[0].startswith("Linea de informacion")
    assert send(client, "HELP")[0].startswith("CAR-T and MS info line")


def test_a_stop_in_spanish_the_database_refuses_goes_to_the_journal(make_app, monkeypatch):
    app = make_app(CONTENT_DIR=str(BILINGUAL), SMS_OPT_OUT_BY_TWILIO=False)
    with app.app_context():
        store = services().store
    monkeypatch.setattr(store, "_write_stops", lambda keys: 1 / 0)
    assert send(app.test_client(), "PARAR")[0].startswith("No recibira")
    assert store.journal.pending() == {store.number_key(NUMBER)}
    assert send(app.test_client(), "RIESGOS") == []


def test_the_check_reads_every_language_folder_or_one():
    env = {"CONTENT_DIR": str(BILINGUAL)}
    both = CliRunner().invoke(check, ["--today", "2026-12-01"], env=env).output
    assert "bilingual/es/" in both and "en/line.yaml" in both
    only = CliRunner().invoke(check, ["--language", "es", "--today", "2026-12-01"], env=env).output
    assert "bilingual/es/" in only and "en/line.yaml" not in only


def test_the_simulator_calls_in_the_language_chosen(make_app):
    client = make_app(CONTENT_DIR=str(BILINGUAL)).test_client()
    page = client.get("/simulator").get_data(as_text=True)
    assert 'id="call-language"' in page and ">español</option>" in page
    spanish = client.post("/simulator/api/call", json={"caller": "+12025550142", "language": "es"}).get_json()
    assert "Bienvenido" in str(spanish["events"])
    english = client.post("/simulator/api/call", json={"caller": "+12025550143"}).get_json()
    assert "Bienvenido" not in str(english["events"]) and "Welcome" in str(english["events"])
    assert client.post("/simulator/api/call", json={"language": "fr"}).status_code == 400


def test_the_real_content_passes_in_both_languages():
    env = {"CONTENT_DIR": str(BILINGUAL.parent.parent / "content"), "CONTENT_LANGUAGE": "en", "LANGUAGES": ""}
    result = CliRunner().invoke(check, ["--today", "2026-12-03"], env=env)
    assert result.exit_code == 0 and "content/es/" in result.output, result.output
