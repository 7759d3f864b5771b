"use strict";

// The caption viewer (PROTOCOL.md, "Caption viewer"): one meeting's captions, read-only,
// from a share link /view/{meeting_id}?share=…. The server sends the current names, every
// final so far, then live frames; this page shows them with captions.js, reconnects after
// a dropped connection and says plainly when the link stops working.

const VIEWER_PING_MS = 25000;
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 15000;
const BUSY_RETRY_MS = 20000;
// Finals that arrive in the opening burst are history: shown, not read out one by one.
const HISTORY_SETTLE_MS = 400;

const VIEWER_TEXT = {
  noLink: "This page needs the whole share link, including the part after “?share=”.",
  denied:
    "This caption link no longer works: it was withdrawn by the person running the meeting, " +
    "or the meeting ended a while ago. Ask them for a new link.",
  deleted: "This meeting was deleted.",
  busy: "This meeting has as many viewers as it allows. Trying again shortly…",
  lost: "The connection was lost. Trying again…",
};

const viewerUi = {
  status: document.getElementById("status"),
  detail: document.getElementById("status-detail"),
  message: document.getElementById("message"),
};
const viewerCaptions = new CaptionView({
  list: document.getElementById("captions"),
  announcer: document.getElementById("captions-live"),
  jump: document.getElementById("jump"),
});

const viewer = {
  meetingId: decodeURIComponent(window.location.pathname.split("/")[2] || ""),
  share: new URLSearchParams(window.location.search).get("share") || "",
  socket: null,
  inHistory: true,
  historyCount: 0,
  settleTimer: null,
  pingTimer: null,
  retryMs: RECONNECT_FIRST_MS,
  refused: null, // the error code of an `error` frame, until the close that follows
  connections: 0,
  ended: false,
  wakeLock: null,
};

function setViewerStatus(state, detail = "") {
  viewerUi.status.textContent = state;
  viewerUi.status.dataset.state = state;
  viewerUi.detail.textContent = detail;
}

function captionsUrl() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const path = `/v1/meetings/${encodeURIComponent(viewer.meetingId)}/captions`;
  return `${scheme}://${window.location.host}${path}?share=${encodeURIComponent(viewer.share)}`;
}

function connectViewer() {
  const socket = new WebSocket(captionsUrl());
  viewer.socket = socket;
  viewer.inHistory = true;
  viewer.historyCount = 0;
  viewer.refused = null;
  viewer.connections += 1;
  socket.addEventListener("open", () => {
    viewer.retryMs = RECONNECT_FIRST_MS;
    viewerUi.message.textContent = "";
    viewer.pingTimer = setInterval(() => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
    }, VIEWER_PING_MS);
  });
  socket.addEventListener("message", (event) => {
    if (socket === viewer.socket) onViewerMessage(event.data);
  });
  socket.addEventListener("close", (event) => {
    clearInterval(viewer.pingTimer);
    if (socket === viewer.socket) onViewerClose(event);
  });
}

function onViewerMessage(data) {
  dispatchFrame(data, VIEWER_HANDLERS);
}

// History finals come from the store, without the live frames' `behind_s`.
function onViewerCaption(message) {
  const isHistory = viewer.inHistory && message.type === "final" && message.behind_s === undefined;
  if (isHistory) {
    viewer.historyCount += 1;
    clearTimeout(viewer.settleTimer);
    viewer.settleTimer = setTimeout(endHistory, HISTORY_SETTLE_MS);
  } else if (viewer.inHistory) {
    endHistory();
  }
  viewerCaptions.apply(message, { quiet: isHistory });
}

function endHistory() {
  clearTimeout(viewer.settleTimer);
  if (!viewer.inHistory) return;
  viewer.inHistory = false;
  if (viewer.ended) return;
  const count = viewer.connections === 1 ? viewer.historyCount : 0; // a reconnect resends them
  setViewerStatus("live", count ? `${count} earlier caption${count === 1 ? "" : "s"} shown` : "");
}

function onViewerSpeakers(message) {
  viewerCaptions.applySpeakers(message);
  if (viewer.inHistory && !viewer.ended) {
    clearTimeout(viewer.settleTimer);
    viewer.settleTimer = setTimeout(endHistory, HISTORY_SETTLE_MS);
  }
}

function onViewerStopped() {
  viewer.ended = true;
  viewer.inHistory = false;
  clearTimeout(viewer.settleTimer);
  viewerCaptions.dropPartials();
  setViewerStatus("ended", "The meeting has ended.");
  releaseWakeLock();
}

function onViewerClose(event) {
  viewer.socket = null;
  viewerCaptions.dropPartials();
  if (viewer.ended) return;
  if (event.code === 4403 || viewer.refused === "forbidden") {
    refuseViewer(VIEWER_TEXT.denied);
  } else if (event.code === 4410 || viewer.refused === "deleted") {
    refuseViewer(VIEWER_TEXT.deleted);
  } else if (event.code === 4429 || viewer.refused === "too_many_viewers") {
    setViewerStatus("reconnecting");
    viewerUi.message.textContent = VIEWER_TEXT.busy;
    setTimeout(connectViewer, BUSY_RETRY_MS);
  } else {
    setViewerStatus("reconnecting");
    viewerUi.message.textContent = VIEWER_TEXT.lost;
    setTimeout(connectViewer, viewer.retryMs);
    viewer.retryMs = Math.min(viewer.retryMs * 2, RECONNECT_MAX_MS);
  }
}

function refuseViewer(text) {
  viewer.ended = true;
  setViewerStatus("link not valid");
  viewerUi.message.textContent = text;
  releaseWakeLock();
}

const VIEWER_HANDLERS = {
  speakers: onViewerSpeakers,
  partial: onViewerCaption,
  final: onViewerCaption,
  stopped: onViewerStopped,
  error: (message) => {
    viewer.refused = message.code || "error";
  },
  pong: () => {},
};

// Keep a phone's screen on while captions are live, where the browser allows it.
async function holdWakeLock() {
  if (viewer.ended || !navigator.wakeLock || document.visibilityState !== "visible") return;
  try {
    viewer.wakeLock = await navigator.wakeLock.request("screen");
  } catch {
    viewer.wakeLock = null; // refused (battery saver, no permission): the screen may sleep
  }
}

function releaseWakeLock() {
  viewer.wakeLock?.release().catch(() => {});
  viewer.wakeLock = null;
}

function initViewer() {
  if (!viewer.meetingId || !viewer.share) {
    refuseViewer(VIEWER_TEXT.noLink);
    return;
  }
  setViewerStatus("connecting");
  connectViewer();
  holdWakeLock();
  document.addEventListener("visibilitychange", holdWakeLock);
}

initViewer();
