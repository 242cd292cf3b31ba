// The line simulator page: drives the simulator's JSON endpoints, shows the transcript and speaks it.
// The call's position (where the line waits) lives here, in the page, and goes back with every turn.
"use strict";

(function () {
  const main = document.querySelector("main");
  const urls = { call: main.dataset.callUrl, turn: main.dataset.turnUrl, text: main.dataset.textUrl };
  const caller = main.dataset.caller;
  const $ = (id) => document.getElementById(id);
  const callButton = $("call-button");
  const hangupButton = $("hangup-button");
  const status = $("call-status");
  const callLog = $("call-log");
  const textLog = $("text-log");
  const sound = $("sound");
  const WHO = { line: "The line", caller: "You", network: "Phone" };

  let position = null; // where the line waits: sent back with every turn
  let lastTextId = 0; // the newest text from the line's outbox already shown in the messages pane
  let busy = false;

  // ----- sound: one utterance after another, a preview recording when there is one --------
  // `utterances` records every utterance queued and how it was to be heard, for tests and curious editors.
  const speaker = { queue: [], utterances: [], playing: false, current: null, generation: 0 };
  window.lineSimulator = speaker;

  function hearingMode(utterance) {
    if (!sound.checked) return "silent";
    if (utterance.audio) return "audio";
    return "speechSynthesis" in window ? "speech" : "text";
  }

  function stopSound() {
    speaker.generation += 1;
    speaker.queue = [];
    if (speaker.current && speaker.current.pause) speaker.current.pause();
    speaker.current = null;
    if ("speechSynthesis" in window) window.speechSynthesis.cancel();
    speaker.playing = false;
  }

  function enqueue(utterances) {
    for (const utterance of utterances) {
      const via = hearingMode(utterance);
      speaker.utterances.push({ text: utterance.text, via: via, src: via === "audio" ? utterance.audio : null });
      if (via === "audio" || via === "speech") speaker.queue.push({ utterance: utterance, via: via });
    }
    if (!speaker.playing) playNext(speaker.generation);
  }

  function pause(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function playRecording(utterance) {
    return new Promise((resolve) => {
      const audio = new Audio(utterance.audio);
      speaker.current = audio;
      const limit = ((utterance.seconds || 10) + 2) * 1000; // never stall on a file that will not play
      const timer = setTimeout(resolve, limit);
      const done = () => { clearTimeout(timer); resolve(); };
      audio.addEventListener("ended", done);
      audio.addEventListener("error", done);
      const playing = audio.play();
      if (playing && playing.catch) playing.catch(done);
    });
  }

  function speak(utterance) {
    return new Promise((resolve) => {
      const spoken = new SpeechSynthesisUtterance(utterance.text);
      spoken.lang = document.documentElement.lang || "en";
      spoken.rate = 0.9;
      const words = utterance.text.split(/\s+/).length;
      const timer = setTimeout(resolve, (words / 2 + 3) * 1000); // some browsers have no voices
      spoken.onend = spoken.onerror = () => { clearTimeout(timer); resolve(); };
      speaker.current = spoken;
      window.speechSynthesis.speak(spoken);
    });
  }

  async function playNext(generation) {
    speaker.playing = true;
    while (speaker.queue.length && generation === speaker.generation) {
      const item = speaker.queue.shift();
      await (item.via === "audio" ? playRecording(item.utterance) : speak(item.utterance));
      if (item.utterance.pause_ms && generation === speaker.generation) await pause(item.utterance.pause_ms);
    }
    if (generation === speaker.generation) speaker.playing = false;
  }

  sound.addEventListener("change", () => { if (!sound.checked) stopSound(); });

  // ----- transcripts -------------------------------------------------------------------
  function addEntry(log, who, kind, paragraphs) {
    const item = document.createElement("li");
    item.className = kind;
    const label = document.createElement("span");
    label.className = "who";
    label.textContent = who + ":";
    item.appendChild(label);
    for (const text of paragraphs) {
      const paragraph = document.createElement("p");
      paragraph.textContent = text;
      item.appendChild(paragraph);
    }
    log.querySelector("ol").appendChild(item);
    return item;
  }

  // Scroll a transcript so the first new entry starts at the top: reading begins where the news does.
  function reveal(log, item) {
    if (item) log.scrollTop = item.offsetTop - log.clientTop;
  }

  function showEvents(events) {
    let first = null;
    for (const event of events) {
      const paragraphs = event.utterances.length ? event.utterances.map((u) => u.text) : [event.text];
      const item = addEntry(callLog, WHO[event.who] || event.who, event.who, paragraphs);
      first = first || item;
      if (event.who === "line") enqueue(event.utterances);
    }
    reveal(callLog, first);
  }

  // ----- talking to the simulator endpoints ----------------------------------------------
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || "The simulator answered " + response.status + ".");
    return data;
  }

  function setCallState(active) {
    const hadFocus = document.activeElement;
    callButton.disabled = active;
    hangupButton.disabled = !active;
    status.textContent = active
      ? "On a call. Press a key, type what you say, or wait."
      : "No call. Press Call to ring the line.";
    // A button that becomes disabled loses focus: hand it to its partner instead.
    if (hadFocus === callButton && active) hangupButton.focus();
    if (hadFocus === hangupButton && !active) callButton.focus();
  }

  // Texts the line sent to this pretend phone during the call ("text me this") appear with the others.
  function showTexts(texts) {
    let first = null;
    for (const text of texts || []) {
      lastTextId = Math.max(lastTextId, text.id);
      const item = addEntry(textLog, "Text from the line", "line", [text.body]);
      first = first || item;
    }
    if (first) {
      reveal(textLog, first);
      status.textContent += texts.length === 1 ? " A text message arrived." : " " + texts.length + " text messages arrived.";
    }
  }

  async function step(url, body) {
    if (busy) {
      status.textContent = "One moment: the line is still answering.";
      return;
    }
    busy = true;
    stopSound(); // the caller's input interrupts the line, as on a real call
    try {
      const data = await post(url, Object.assign({ texts_after: lastTextId }, body));
      position = data.position;
      showEvents(data.events);
      setCallState(!data.ended);
      showTexts(data.texts);
    } catch (error) {
      reveal(callLog, addEntry(callLog, "Simulator", "error", [error.message]));
    } finally {
      busy = false;
    }
  }

  function turn(action, extra) {
    if (!position) {
      status.textContent = "No call. Press Call first.";
      return;
    }
    step(urls.turn, Object.assign({ position: position, action: action }, extra));
  }

  function press(key) {
    const button = document.querySelector('.key[data-key="' + CSS.escape(key) + '"]');
    if (button) {
      button.classList.add("pressed");
      setTimeout(() => button.classList.remove("pressed"), 200);
    }
    turn("press", { key: key });
  }

  // The language switch (shown when the line serves more than one): the call chooses it as a caller would.
  const languageSelect = $("call-language");
  callButton.addEventListener("click", () =>
    step(urls.call, languageSelect ? { caller: caller, language: languageSelect.value } : { caller: caller }));
  hangupButton.addEventListener("click", () => {
    stopSound();
    position = null;
    reveal(callLog, addEntry(callLog, WHO.network, "network", ["You hung up."]));
    setCallState(false);
  });
  document.querySelectorAll(".key").forEach((button) => {
    button.addEventListener("click", () => press(button.dataset.key));
  });
  $("wait-button").addEventListener("click", () => turn("wait", {}));
  $("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("say-words");
    const words = input.value.trim();
    if (!words) { input.focus(); return; }
    input.value = "";
    turn("say", { words: words });
  });

  // Digits, star and hash typed anywhere but in a text box press the keypad.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (target.tagName === "INPUT" && target.type === "text") return;
    if (/^[0-9*#]$/.test(event.key)) {
      event.preventDefault();
      press(event.key);
    }
  });

  // ----- text messages -------------------------------------------------------------------
  $("text-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("text-body");
    const body = input.value.trim();
    if (!body) { input.focus(); return; }
    input.value = "";
    reveal(textLog, addEntry(textLog, "You", "caller", [body]));
    try {
      const data = await post(urls.text, { from: caller, body: body });
      if (data.replies.length === 0) addEntry(textLog, "The line", "network", ["(no reply)"]);
      for (const reply of data.replies) addEntry(textLog, "The line", "line", [reply]);
    } catch (error) {
      addEntry(textLog, "Simulator", "error", [error.message]);
    }
  });
})();
