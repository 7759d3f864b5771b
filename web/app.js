"use strict";

// The recorder page: microphone → pcm-worklet.js → WebSocket (PROTOCOL.md,
// "Recording") → live captions (captions.js, loaded first). Sharing and speaker names:
// share.js and speakers.js; the case note and risk flags: note.js; letters and referrals:
// documents.js; uploading a recording: upload.js; display settings: settings.js.
// `?meeting=m_…` reopens a stored meeting: its transcript, flags, note and documents.

const TARGET_RATE_HZ = 16000;
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 15000;
// Closes after which reconnecting cannot help: bad input, refused, gone, full, or normal.
const FINAL_CLOSES = new Set([1000, 1008, 1009, 4400, 4401, 4403, 4404, 4410, 4429]);
// Phases in which a live meeting holds the page (no upload opens over it).
const RECORDING_PHASES = new Set(["connecting", "listening", "catching up", "reconnecting", "finishing"]);
const PING_INTERVAL_MS = 15000;
const FLUSH_TIMEOUT_MS = 500;
const BEHIND_LIMIT_S = 3;
const TOKEN_KEY = "casenote.token";
const AUDIO_CONSTRAINTS = {
  channelCount: 1,
  echoCancellation: false,
  noiseSuppression: false,
  autoGainControl: true,
};

const MESSAGES = {
  noToken:
    "This page needs its access link. Open the address that “casenote serve” printed " +
    "when it started (it ends in ?token=…).",
  insecure:
    "The browser only allows the microphone on a secure page. On the computer running " +
    "casenote, use the address “casenote serve” printed (with 127.0.0.1 or localhost in it). " +
    "From another device, the server must run with TLS: casenote serve --ssl-certfile … --ssl-keyfile …",
  noMedia: "This browser cannot record from a microphone. Try a current Firefox, Chrome, Edge or Safari.",
  noWorklet: "This browser lacks AudioWorklet, which recording needs. Try a current browser.",
  denied:
    "Microphone access was refused. Allow the microphone for this page (in the browser's " +
    "site settings, beside the address), then press Start again.",
  noMicrophone: "No microphone was found. Connect one or switch it on, then press Start again.",
  busyMicrophone: "The microphone could not be started. Another program may be using it.",
  workletFailed: "The audio processor (/pcm-worklet.js) could not be loaded. Reload the page and try again.",
};

const CLOSE_REASONS = {
  1000: "The server ended the connection.",
  1001: "The server is shutting down.",
  1006: "The connection was lost (network, or the server stopped).",
  1009: "The server refused a message that was too large.",
  1011: "The server hit an internal error.",
  4400: "The server did not accept what this page sent.",
  4401: "The access token was not accepted. Open the address printed by “casenote serve” again.",
  4403: "Access was refused.",
  4404: "The server does not know this meeting.",
  4410: "This meeting was deleted.",
  4429: "Too many meetings are live at once. Stop another meeting and try again.",
};

const $ = (id) => document.getElementById(id);
const ui = {
  title: $("title"),
  start: $("start"),
  stop: $("stop"),
  status: $("status"),
  detail: $("status-detail"),
  message: $("message"),
};
const captions = new CaptionView({
  list: $("captions"),
  announcer: $("captions-live"),
  jump: $("jump"),
  onSpeaker: (label) => namer.open(label),
});
const share = new ShareDialog({ dialog: $("share-dialog"), opener: $("share"), token: () => state.token });
const namer = new SpeakerNamer({
  dialog: $("speaker-dialog"),
  roster: $("roster"),
  token: () => state.token,
  onNames: (names) => {
    captions.applySpeakers({ changes: [], names });
    noteView.refreshLines();
  },
});
const noteView = new NoteView({
  view: $("note-view"),
  status: $("note-status"),
  flags: $("risk-flags"),
  dialog: $("redraft-dialog"),
  workspace: $("workspace"),
  captions,
  token: () => state.token,
  onMeeting: (meetingId) => documents.setMeeting(meetingId),
});
const documents = new DocumentsView({
  root: $("documents"),
  dialog: $("referral-dialog"),
  notes: noteView,
  token: () => state.token,
});
const uploader = new RecordingUpload({
  root: $("upload"),
  token: () => state.token,
  open: openUploaded,
});
new VoiceEnrolment({ root: $("my-voice"), token: () => state.token });

const state = {
  token: null,
  phase: "ready",
  socket: null,
  capture: null,
  frames: null,
  started: false,
  stopRequested: false,
  serverError: false,
  meetingId: null,
  reconnects: 0,
  reconnectTimer: null,
  heldTimer: null,
};

// ---- token and address ----

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the token then lives only in this page
  }
}

function takeToken() {
  const url = new URL(window.location.href);
  const fromQuery = url.searchParams.get("token");
  if (!fromQuery) return storage()?.getItem(TOKEN_KEY) || null;
  storage()?.setItem(TOKEN_KEY, fromQuery);
  url.searchParams.delete("token");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  return fromQuery;
}

function streamUrl(token) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/v1/meetings/stream?token=${encodeURIComponent(token)}`;
}

// ---- status, messages, buttons ----

function setStatus(phase, detail = "") {
  state.phase = phase;
  ui.status.textContent = phase;
  ui.status.dataset.state = phase;
  ui.detail.textContent = detail;
}

function showMessage(text) {
  ui.message.textContent = text;
}

function setRecording(recording) {
  const focused = document.activeElement;
  // A button disabled while focused drops focus to the body: hand it to the other one.
  const focusLost = !focused || focused === document.body || focused === (recording ? ui.start : ui.stop);
  ui.start.disabled = recording || !state.token;
  ui.stop.disabled = !recording;
  ui.title.disabled = recording;
  uploader.setRecording(recording);
  if (focusLost) (recording ? ui.stop : ui.start).focus();
}

function environmentProblem() {
  if (!state.token) return MESSAGES.noToken;
  if (!window.isSecureContext) return MESSAGES.insecure;
  if (!navigator.mediaDevices?.getUserMedia) return MESSAGES.noMedia;
  if (typeof AudioWorkletNode === "undefined") return MESSAGES.noWorklet;
  return null;
}

function describeCaptureError(error) {
  const byName = {
    NotAllowedError: MESSAGES.denied,
    SecurityError: MESSAGES.denied,
    NotFoundError: MESSAGES.noMicrophone,
    OverconstrainedError: MESSAGES.noMicrophone,
    NotReadableError: MESSAGES.busyMicrophone,
    AbortError: MESSAGES.busyMicrophone,
  };
  if (error?.workletFailed) return MESSAGES.workletFailed;
  return byName[error?.name] || `Recording could not start: ${error?.message || error}`;
}

function onFrame(buffer) {
  state.frames.add(buffer);
  if (state.started && state.socket?.readyState === WebSocket.OPEN) {
    state.frames.sendPending(state.socket);
  }
}

// ---- microphone capture ----

async function openCapture() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS });
  // Created only after getUserMedia resolves, so no further user gesture is needed.
  const context = new AudioContext();
  const capture = { stream, context, node: null, onFlushed: null };
  try {
    await context.audioWorklet.addModule("/pcm-worklet.js").catch((error) => {
      throw Object.assign(error, { workletFailed: true });
    });
    capture.node = new AudioWorkletNode(context, "pcm-capture", { outputChannelCount: [1] });
    capture.node.port.onmessage = (event) => {
      if (event.data instanceof ArrayBuffer) onFrame(event.data);
      else if (event.data === "flushed") capture.onFlushed?.();
    };
    context.createMediaStreamSource(stream).connect(capture.node);
    // Its output is silent; the connection keeps the node in the rendering graph.
    capture.node.connect(context.destination);
    await context.resume();
    return capture;
  } catch (error) {
    releaseCapture(capture);
    throw error;
  }
}

function flushWorklet(capture) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    capture.onFlushed = () => {
      clearTimeout(timer);
      resolve();
    };
    capture.node.port.postMessage("flush");
  });
}

function releaseCapture(capture) {
  capture.stream.getTracks().forEach((track) => track.stop());
  capture.context.close().catch(() => {});
}

async function closeCapture() {
  const capture = state.capture;
  state.capture = null;
  if (!capture) return;
  await flushWorklet(capture);
  releaseCapture(capture);
}

// ---- the socket ----

function sendJson(socket, message) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function startMessage() {
  return {
    type: "start",
    sample_rate: TARGET_RATE_HZ,
    encoding: "pcm_s16le",
    channels: 1,
    language: "en",
    title: ui.title.value.trim() || "Meeting",
    meeting_id: state.meetingId,
    resume_from_s: state.meetingId ? state.frames.oldestHeldS() : null,
  };
}

function openSocket() {
  const socket = new WebSocket(streamUrl(state.token));
  socket.binaryType = "arraybuffer";
  state.socket = socket;
  let pingTimer = null;
  socket.addEventListener("open", () => {
    sendJson(socket, startMessage());
    pingTimer = setInterval(() => sendJson(socket, { type: "ping" }), PING_INTERVAL_MS);
  });
  socket.addEventListener("message", (event) => {
    if (socket === state.socket) onSocketMessage(event.data);
  });
  socket.addEventListener("close", (event) => {
    clearInterval(pingTimer);
    if (socket === state.socket) onSocketClose(event);
  });
}

function onSocketMessage(data) {
  dispatchFrame(data, HANDLERS);
}

function sendStop() {
  if (state.socket?.readyState !== WebSocket.OPEN) return;
  state.frames.sendPending(state.socket);
  sendJson(state.socket, { type: "stop" });
}

function onStarted(message) {
  if (state.meetingId) {
    state.frames.resumeFrom(message.received_s);
    backfill(message.meeting_id);
  }
  state.meetingId = message.meeting_id;
  state.reconnects = 0;
  clearInterval(state.heldTimer);
  if (state.frames.droppedS > 0) {
    showMessage(`${Math.round(state.frames.droppedS)} s of audio could not be kept while offline.`);
  } else if (!state.serverError) {
    showMessage("");
  }
  state.started = true;
  share.setMeeting(message.meeting_id);
  namer.setMeeting(message.meeting_id);
  noteView.setMeeting(message.meeting_id);
  if (!state.stopRequested) setStatus("listening");
  state.frames.sendPending(state.socket);
  if (state.stopRequested) sendStop();
}

function onStopped() {
  captions.dropPartials();
  setStatus("stopped");
  setRecording(false);
  setMeetingAddress(state.meetingId); // a reload comes back to this visit and its note
}

function onServerError(message) {
  if (message.code === "idle_timeout") return; // the close that follows reconnects
  state.serverError = true;
  showMessage(message.message || `The server reported a problem (${message.code || "unknown"}).`);
  setStatus("error");
}

function onSocketClose(event) {
  state.socket = null;
  state.started = false;
  if (state.phase === "stopped") {
    noteView.connectionClosed(); // a note still drafting is then followed over HTTP
    return;
  }
  if (state.meetingId && !FINAL_CLOSES.has(event.code)) {
    scheduleReconnect();
    return;
  }
  closeCapture();
  setRecording(false);
  if (state.serverError) return;
  const reason = CLOSE_REASONS[event.code] || `The connection closed (code ${event.code}).`;
  setStatus("disconnected");
  showMessage(reason);
}

// Finals made while the page was offline went to nobody: fetch them, shown quietly.
async function backfill(meetingId) {
  try {
    const response = await fetch(`/v1/meetings/${encodeURIComponent(meetingId)}`, {
      headers: { Authorization: `Bearer ${state.token}` },
    });
    if (!response.ok) return;
    const meeting = await response.json();
    for (const segment of meeting.segments || []) {
      captions.apply({ type: "final", ...segment }, { quiet: true });
    }
    noteView.addRisks(meeting.risks || []);
  } catch {
    // Offline again: the next resume tries again.
  }
}

// The microphone keeps capturing while offline; frames wait in state.frames.
function scheduleReconnect() {
  const backoff = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** state.reconnects);
  const delay = backoff * (0.5 + Math.random() / 2); // jitter: clients do not stampede
  state.reconnects += 1;
  showHeld();
  clearInterval(state.heldTimer);
  state.heldTimer = setInterval(showHeld, 1000);
  state.reconnectTimer = setTimeout(openSocket, delay);
}

function showHeld() {
  setStatus("reconnecting", `${Math.round(state.frames.heldS())} s buffered`);
}

// ---- start and stop ----

function resetMeeting() {
  state.socket?.close(1000); // a previous meeting's note keeps drafting on the server
  state.socket = null;
  state.meetingId = null;
  state.reconnects = 0;
  clearTimeout(state.reconnectTimer);
  clearInterval(state.heldTimer);
  state.frames = new FrameQueue();
  state.started = false;
  state.stopRequested = false;
  state.serverError = false;
  captions.clear();
  share.setMeeting(null);
  namer.setMeeting(null);
  noteView.setMeeting(null);
  setMeetingAddress(null);
  showMessage("");
}

// ---- a stored meeting, by address ----

function setMeetingAddress(meetingId) {
  const url = new URL(window.location.href);
  if (meetingId) url.searchParams.set("meeting", meetingId);
  else url.searchParams.delete("meeting");
  url.hash = "";
  history.replaceState(history.state, "", url.pathname + url.search);
}

// `?meeting=m_…`: the worker comes back to a visit: its transcript, names, flags and note.
async function openStoredMeeting(meetingId) {
  let meeting;
  try {
    const path = `/v1/meetings/${encodeURIComponent(meetingId)}`;
    meeting = await casenoteRequest(state.token, "GET", path);
  } catch (error) {
    showMessage(`That meeting could not be opened: ${error.message}.`);
    setMeetingAddress(null);
    return;
  }
  if (state.meetingId) return; // a new meeting started meanwhile
  if (RecordingUpload.transcribing(meeting) && uploader.resume(meeting.id, meeting.title)) return;
  ui.title.value = meeting.title || "";
  namer.setMeeting(meeting.id);
  share.setMeeting(meeting.id);
  captions.applySpeakers({ changes: [], names: meeting.speakers || {} });
  for (const segment of meeting.segments || []) {
    captions.apply({ type: "final", ...segment }, { quiet: true });
  }
  namer.applySpeakers({ names: meeting.speakers || {} }, captions.speakers());
  await noteView.openMeeting(meeting);
}

// An uploaded recording, transcribed: opened as a stored meeting, unless a live meeting
// holds the page or unsaved changes are kept (`ask`: the worker clicked, so may be asked).
function openUploaded(meetingId, ask) {
  if (RECORDING_PHASES.has(state.phase)) return false;
  const unsaved = noteView.dirty || documents.dirty();
  if (unsaved && (!ask || !noteView.confirmDiscard() || !documents.confirmDiscard())) return false;
  resetMeeting();
  setStatus("ready");
  setMeetingAddress(meetingId);
  openStoredMeeting(meetingId);
  return true;
}

async function startMeeting() {
  if (!noteView.confirmDiscard() || !documents.confirmDiscard()) return;
  const problem = environmentProblem();
  if (problem) {
    showMessage(problem);
    return;
  }
  resetMeeting();
  ui.start.disabled = true; // Stop is enabled once the microphone is open
  ui.title.disabled = true;
  uploader.setRecording(true);
  setStatus("connecting");
  try {
    state.capture = await openCapture();
  } catch (error) {
    showMessage(describeCaptureError(error));
    setStatus("error");
    setRecording(false);
    return;
  }
  setRecording(true);
  openSocket();
}

async function stopMeeting() {
  ui.stop.disabled = true;
  state.stopRequested = true;
  setStatus("finishing");
  await closeCapture();
  if (state.started) sendStop(); // otherwise onStarted sends it
}

// ---- captions ----

function onCaption(message) {
  noteLag(message.behind_s);
  captions.apply(message);
  namer.see(message.speaker);
}

function onSpeakers(message) {
  captions.applySpeakers(message);
  namer.applySpeakers(message, captions.speakers());
  noteView.refreshLines();
}

// behind_s is the server's optional lag report; absent means it is keeping up.
function noteLag(behindS) {
  if (state.phase !== "listening" && state.phase !== "catching up") return;
  const behind = typeof behindS === "number" ? behindS : 0;
  if (behind > BEHIND_LIMIT_S) setStatus("catching up", `${Math.round(behind)} s behind`);
  else if (state.phase === "catching up") setStatus("listening");
}

const HANDLERS = {
  started: onStarted,
  partial: onCaption,
  final: onCaption,
  speakers: onSpeakers,
  stopped: onStopped,
  note: (message) => noteView.applyFrame(message),
  error: onServerError,
  ping: () => sendJson(state.socket, { type: "pong" }),
  pong: () => {},
  risk: (message) => noteView.addRisk(message),
};

function init() {
  state.token = takeToken();
  setStatus("ready");
  ui.start.disabled = !state.token;
  ui.stop.disabled = true;
  if (!state.token) showMessage(MESSAGES.noToken);
  ui.start.addEventListener("click", startMeeting);
  ui.stop.addEventListener("click", stopMeeting);
  const stored = new URL(window.location.href).searchParams.get("meeting");
  if (stored && state.token) openStoredMeeting(stored);
}

init();
