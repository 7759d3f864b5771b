"use strict";

// "Upload a recording" on the recorder page (PROTOCOL.md: POST /v1/transcriptions): a visit
// recorded where no connection was possible goes through the same pipeline as a live one.
// XMLHttpRequest sends it, since fetch reports no upload progress; then GET
// /v1/meetings/{id} is polled: its `progress` (0..1, casenote's extension) while the
// recording is transcribed, then where its note stands. Once the transcript is complete the
// visit opens in the note view (app.js), which follows the note from there. Loaded after
// note.js (apiRequest, sleep).

const UPLOAD_POLL_MS = 1000;
const UPLOAD_FORMATS = "WAV, FLAC, MP3, Ogg/Opus, M4A or WebM";
const UPLOAD_MIB = 1024 * 1024;

// "recordings are limited to 524288000 bytes" → "recordings are limited to 500 MB".
function readableBytes(text) {
  return text.replace(/(\d+) bytes/, (_, bytes) => {
    const mib = Number(bytes) / UPLOAD_MIB;
    return mib >= 1 ? `${Math.round(mib * 10) / 10} MB` : `${bytes} bytes`;
  });
}

// Why the server refused the recording, in words a worker can act on.
function uploadRefusal(status, why) {
  const reason = why || `the server answered ${status}`;
  switch (status) {
    case 0:
      return "The upload was interrupted: the server did not answer. Check the connection and try again.";
    case 401:
    case 403:
      return "The access token was not accepted. Open the address printed by “casenote serve” again, then upload.";
    case 413:
      return `This recording is too large to upload: ${readableBytes(reason)}. Split it into shorter ` +
        "recordings, or ask whoever runs casenote to raise the limit (--max-upload-bytes).";
    case 415:
      return "casenote could not read this file as audio. It takes recordings in " +
        `${UPLOAD_FORMATS}: check that the file is one of these and is not damaged.`;
    case 503:
      return "The speech models are still loading on the server. Wait a minute, then upload again.";
    default:
      return `The recording was not accepted: ${reason}.`;
  }
}

class RecordingUpload {
  // root: the <details> holding the form; token: () => access token; open(meetingId, ask):
  // opens the transcribed visit, true when it did (false while a live meeting runs, or when
  // the worker keeps unsaved changes; `ask`: the worker clicked, so they may be asked).
  constructor({ root, token, open }) {
    this.root = root;
    this.token = token;
    this.open = open;
    const part = (id) => root.querySelector(`#${id}`);
    this.summary = root.querySelector("summary");
    this.form = part("upload-form");
    this.file = part("upload-file");
    this.title = part("upload-title");
    this.date = part("upload-date");
    this.date.max = new Date().toISOString().slice(0, 10); // a visit cannot be in the future
    this.send = part("upload-send");
    this.cancel = part("upload-cancel");
    this.openButton = part("upload-open");
    this.progressRow = part("upload-progress-row");
    this.progressLabel = part("upload-progress-label");
    this.progress = part("upload-progress");
    this.percent = part("upload-percent");
    this.status = part("upload-status");
    this.error = part("upload-error");
    this.blocked = part("upload-blocked");
    this.xhr = null;
    this.meetingId = null; // the upload being followed
    this.done = null; // a transcribed visit not yet opened
    this.recording = false;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
    this.cancel.addEventListener("click", () => this.xhr?.abort());
    this.openButton.addEventListener("click", () => this.openDone(true));
  }

  get busy() {
    return Boolean(this.xhr || this.meetingId);
  }

  // A live meeting started or ended: no upload starts while one runs.
  setRecording(recording) {
    this.recording = recording;
    this.blocked.hidden = !recording;
    this.paintControls();
  }

  paintControls() {
    const focused = document.activeElement;
    this.send.disabled = this.busy || this.recording;
    this.file.disabled = this.busy;
    this.title.disabled = this.busy;
    this.date.disabled = this.busy;
    this.cancel.hidden = !this.xhr;
    this.openButton.hidden = !this.done;
    // A control disabled or hidden while focused drops focus to the body: hand it on.
    const own = [this.send, this.cancel, this.openButton, this.file, this.title, this.date];
    if (own.includes(focused) && (focused.disabled || focused.hidden)) {
      const next = this.xhr ? this.cancel : this.done ? this.openButton : this.send;
      (next.disabled ? this.summary : next).focus();
    }
  }

  showProgress(label, fraction) {
    this.progressRow.hidden = label === null;
    if (label === null) return;
    this.progressLabel.textContent = label;
    if (fraction === null) {
      this.progress.removeAttribute("value"); // indeterminate: nothing measured yet
      this.percent.textContent = "";
    } else {
      const percent = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
      this.progress.value = percent;
      this.percent.textContent = `${percent}%`;
    }
  }

  fail(text) {
    this.error.textContent = text;
    this.status.textContent = "";
    this.showProgress(null);
  }

  // ---- sending ----

  start() {
    if (this.busy) return;
    this.error.textContent = "";
    if (this.recording) {
      this.fail("A live recording is running: stop it before uploading a recording.");
      return;
    }
    const file = this.file.files?.[0];
    if (!file) {
      this.fail("Choose a recording first.");
      this.file.focus();
      return;
    }
    const title = this.title.value.trim();
    const name = title || file.name;
    const form = new FormData();
    form.append("file", file, file.name);
    if (title) form.append("title", title);
    if (this.date.value) form.append("date", this.date.value);
    const xhr = new XMLHttpRequest();
    this.xhr = xhr;
    this.done = null;
    xhr.open("POST", "/v1/transcriptions");
    xhr.setRequestHeader("Authorization", `Bearer ${this.token()}`);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) this.showProgress("Uploading", event.loaded / event.total);
    });
    xhr.addEventListener("load", () => this.sent(xhr, name));
    xhr.addEventListener("error", () => this.ended(xhr, () => this.fail(uploadRefusal(0, null))));
    xhr.addEventListener("abort", () => this.ended(xhr, () => {
      this.showProgress(null);
      this.status.textContent = "Upload cancelled.";
    }));
    this.status.textContent = `Uploading “${name}”…`;
    this.showProgress("Uploading", 0);
    this.paintControls();
    xhr.send(form);
  }

  ended(xhr, then) {
    if (this.xhr !== xhr) return;
    this.xhr = null;
    then();
    this.paintControls();
  }

  sent(xhr, name) {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      // not JSON
    }
    this.ended(xhr, () => {
      if (xhr.status !== 202 || typeof body?.meeting_id !== "string") {
        this.fail(uploadRefusal(xhr.status, body?.error));
        return;
      }
      this.meetingId = body.meeting_id;
      this.status.textContent = `“${name}” is uploaded. Transcribing it…`;
      this.showProgress("Transcribing", null);
      this.follow(body.meeting_id, name);
    });
  }

  // ---- following the server's work ----

  // A visit still being transcribed, opened by address (a reload during an upload):
  // followed here, and opened once its transcript is whole. False when busy with another.
  resume(meetingId, name) {
    if (this.busy) return false;
    this.root.open = true;
    this.error.textContent = "";
    this.meetingId = meetingId;
    this.status.textContent = `“${name}” is being transcribed…`;
    this.showProgress("Transcribing", null);
    this.paintControls();
    this.follow(meetingId, name);
    return true;
  }

  // Still transcribing (or not yet begun): the meeting's transcript is not whole yet.
  static transcribing(meeting) {
    return meeting.status === "processing" && (meeting.note?.status || "none") === "none";
  }

  async follow(meetingId, name) {
    let labelling = false;
    while (this.meetingId === meetingId) {
      await sleep(UPLOAD_POLL_MS);
      const answer = await apiRequest(this.token(), "GET", `/v1/meetings/${encodeURIComponent(meetingId)}`);
      if (answer.status === 0 || answer.status >= 500) continue; // a moment offline: ask again
      if (answer.status !== 200 || !answer.body) {
        this.meetingId = null;
        this.fail(answer.status === 404
          ? "The uploaded visit is gone: it was deleted while it was being transcribed."
          : uploadRefusal(answer.status, answer.body?.error));
        this.paintControls();
        return;
      }
      const meeting = answer.body;
      if (!RecordingUpload.transcribing(meeting)) break; // the transcript is whole
      if (typeof meeting.progress === "number" && meeting.progress < 1) {
        this.showProgress("Transcribing", meeting.progress);
      } else if (typeof meeting.progress === "number" && !labelling) {
        labelling = true;
        this.status.textContent = `“${name}” is transcribed. Telling the speakers apart…`;
        this.showProgress("Telling the speakers apart", null);
      }
    }
    if (this.meetingId !== meetingId) return;
    this.meetingId = null;
    this.done = { meetingId, name };
    this.showProgress(null);
    this.paintControls();
    this.openDone(false);
  }

  // Opens the transcribed visit, or says how to, when the page is busy with something else.
  openDone(ask) {
    if (!this.done) return;
    const { meetingId, name } = this.done;
    if (!this.open(meetingId, ask)) {
      this.status.textContent = this.recording
        ? `“${name}” is transcribed. Open the visit once the live recording has stopped.`
        : `“${name}” is transcribed. Open the visit when you are ready.`;
      return;
    }
    this.done = null;
    this.form.reset();
    this.status.textContent = `“${name}” is transcribed and open below.`;
    this.paintControls();
  }
}
