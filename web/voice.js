"use strict";

// "Your voice" on the recorder page (docs/protocol.md: POST/GET/DELETE /v1/voices): the
// worker records themselves reading a few sentences (or picks a recording of themselves
// alone), agrees that the server keeps a print of their voice, and from then on every live
// meeting names them from their first words. The list shows who is enrolled, each with a
// Delete button. The recording is sent once and not kept by the server. Loaded after
// note.js (apiRequest).

const VOICE_RECORD_S = 25;     // long enough for the 8 s of speech a voice print needs
const VOICE_TYPE = "audio/webm";

// Why the server refused the enrolment, in words a worker can act on.
function voiceRefusal(status, why) {
  switch (status) {
    case 0:
      return "The server did not answer. Check the connection and try again.";
    case 401:
    case 403:
      return "The access token was not accepted. Open the address printed by “casenote serve” again.";
    case 413:
      return "This recording is too large: record a shorter one (half a minute is plenty).";
    case 415:
      return "casenote could not read this file as audio.";
    case 422:
      return `Your voice could not be enrolled: ${why}. Record again, somewhere quiet, reading the sentences aloud.`;
    case 503:
      return "The speaker models are off or still loading on the server, so no voice can be enrolled now.";
    default:
      return `Your voice was not enrolled: ${why || `the server answered ${status}`}.`;
  }
}

class VoiceEnrolment {
  // root: the <details> holding the form; token: () => access token.
  constructor({ root, token }) {
    this.root = root;
    this.token = token;
    const part = (id) => root.querySelector(`#${id}`);
    this.form = part("voice-form");
    this.name = part("voice-name");
    this.role = part("voice-role");
    this.file = part("voice-file");
    this.consent = part("voice-consent");
    this.recordButton = part("voice-record");
    this.stopButton = part("voice-stop");
    this.enrolButton = part("voice-enrol");
    this.status = part("voice-status");
    this.error = part("voice-error");
    this.list = part("voice-list");
    this.none = part("voice-none");
    this.recorded = null;   // the Blob just recorded, until sent
    this.recorder = null;
    this.timer = null;
    root.addEventListener("toggle", () => { if (root.open) this.refresh(); });
    this.recordButton.addEventListener("click", () => this.record());
    this.stopButton.addEventListener("click", () => this.stopRecording());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.enrol();
    });
  }

  say(status, error = "") {
    this.status.textContent = status;
    this.error.textContent = error;
  }

  async record() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      this.say("", "The microphone could not be opened. Allow it for this page, or choose a recording instead.");
      return;
    }
    const chunks = [];
    const recorder = new MediaRecorder(stream, MediaRecorder.isTypeSupported(VOICE_TYPE)
      ? { mimeType: VOICE_TYPE } : undefined);
    this.recorder = recorder;
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size) chunks.push(event.data);
    });
    recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((track) => track.stop());
      clearInterval(this.timer);
      this.recorder = null;
      this.recorded = new Blob(chunks, { type: recorder.mimeType || VOICE_TYPE });
      this.recordButton.hidden = false;
      this.stopButton.hidden = true;
      this.say("Recorded. Tick the box to agree, then press “Enrol my voice”.");
    });
    let left = VOICE_RECORD_S;
    this.recordButton.hidden = true;
    this.stopButton.hidden = false;
    this.say(`Recording: read the sentences aloud. ${left} s left.`);
    this.timer = setInterval(() => {
      left -= 1;
      if (left <= 0) this.stopRecording();
      else this.say(`Recording: read the sentences aloud. ${left} s left.`);
    }, 1000);
    recorder.start();
  }

  stopRecording() {
    if (this.recorder && this.recorder.state !== "inactive") this.recorder.stop();
  }

  async enrol() {
    const name = this.name.value.trim();
    const clip = this.file.files[0] || this.recorded;
    if (!name) {
      this.say("", "Type your name: it is what meetings will call you.");
      this.name.focus();
      return;
    }
    if (!clip) {
      this.say("", "Record your voice first, or choose a recording of you speaking alone.");
      this.recordButton.focus();
      return;
    }
    if (!this.consent.checked) {
      this.say("", "Your voice is kept only with your agreement: tick the box first.");
      this.consent.focus();
      return;
    }
    const form = new FormData();
    form.append("file", clip, clip.name || "voice.webm");
    form.append("name", name);
    form.append("role", this.role.value.trim());
    form.append("consent", "true");
    this.enrolButton.disabled = true;
    this.say("Enrolling your voice…");
    let status = 0;
    let body = null;
    try {
      const response = await fetch("/v1/voices", {
        method: "POST", body: form, cache: "no-store",
        headers: { Authorization: `Bearer ${this.token()}` },
      });
      status = response.status;
      body = await response.json().catch(() => null);
    } catch {
      status = 0;
    } finally {
      this.enrolButton.disabled = false;
    }
    if (status !== 201) {
      this.say("", voiceRefusal(status, body?.error));
      return;
    }
    this.recorded = null;
    this.file.value = "";
    this.consent.checked = false;
    this.say(`Enrolled: meetings will name you ${body.name} from your first words.`);
    await this.refresh();
  }

  async refresh() {
    const answer = await apiRequest(this.token(), "GET", "/v1/voices");
    if (answer.status !== 200) {
      this.say("", voiceRefusal(answer.status, answer.body?.error));
      return;
    }
    const voices = answer.body.voices || [];
    this.list.replaceChildren(...voices.map((voice) => this.item(voice)));
    this.none.hidden = voices.length > 0;
  }

  item(voice) {
    const li = document.createElement("li");
    const who = document.createElement("span");
    const when = new Date(voice.created_at).toLocaleDateString(undefined,
      { day: "numeric", month: "short", year: "numeric" });
    who.textContent = `${voice.name}${voice.role ? ` (${voice.role})` : ""}, enrolled ${when}`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button button-quiet button-small";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete the voice print of ${voice.name}`);
    remove.addEventListener("click", () => this.remove(voice));
    li.append(who, remove);
    return li;
  }

  async remove(voice) {
    const answer = await apiRequest(this.token(), "DELETE",
      `/v1/voices/${encodeURIComponent(voice.voice_id)}`);
    if (answer.status !== 204 && answer.status !== 404) {
      this.say("", voiceRefusal(answer.status, answer.body?.error));
      return;
    }
    this.say(`Deleted: ${voice.name}'s voice print is gone from this server.`);
    await this.refresh();
  }
}
