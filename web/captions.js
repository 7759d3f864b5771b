"use strict";

// Live captions from `partial`, `final` and `speakers` frames (PROTOCOL.md):
// one line per segment_id, ordered by start, following the live end unless
// the reader has scrolled up. Server text only ever goes in via textContent.

const LIVE_SLACK_PX = 40;
const ANNOUNCED_MAX = 20; // finals kept in the screen-reader region
const SPEAKER_COLOURS = 8;

function formatTime(seconds) {
  const whole = Math.max(0, Math.floor(seconds || 0));
  const mm = String(Math.floor(whole / 60)).padStart(2, "0");
  const ss = String(whole % 60).padStart(2, "0");
  return `${mm}:${ss}`;
}

// One text frame from a casenote socket to the handler for its type; junk is ignored.
function dispatchFrame(data, handlers) {
  if (typeof data !== "string") return;
  let message;
  try {
    message = JSON.parse(data);
  } catch {
    return;
  }
  const handler = handlers[message?.type];
  if (handler) handler(message);
}

class CaptionView {
  // list: the scrolling <ol>; announcer: a polite live region for finals;
  // jump: the "Jump to live" button, shown while the reader has scrolled up;
  // onSpeaker (optional): called with a label when its badge is clicked (badges are then
  // buttons, kept out of the Tab order: the page offers its own keyboard route).
  constructor({ list, announcer, jump, onSpeaker = null }) {
    this.list = list;
    this.announcer = announcer;
    this.jump = jump;
    this.onSpeaker = onSpeaker;
    this.lines = new Map(); // segment_id → {li, start, speaker, final}
    this.names = {};
    this.following = true;
    this.lastScrollTop = 0;
    list.addEventListener("scroll", () => this.onScroll(), { passive: true });
    jump.addEventListener("click", () => this.follow(true));
  }

  clear() {
    this.lines.clear();
    this.names = {};
    this.list.replaceChildren();
    this.announcer.replaceChildren();
    this.follow(true);
  }

  // A partial or final frame. quiet: shown but not announced (history on joining).
  apply(message, { quiet = false } = {}) {
    const existing = this.lines.get(message.segment_id);
    const isFinal = message.type === "final";
    if (existing?.final) {
      // A final never changes; one sent again (a viewer reconnecting) may carry a relabel.
      if (isFinal && existing.speaker !== message.speaker) {
        existing.speaker = message.speaker;
        this.paintSpeaker(existing);
      }
      return;
    }
    if (!isFinal && !message.text) {
      existing?.li.remove();
      this.lines.delete(message.segment_id);
      return;
    }
    const line = this.update(existing || this.createLine(message.segment_id), message, isFinal);
    if (isFinal && message.text && !quiet) this.announce(line, message.text);
    this.keepLive();
  }

  applySpeakers(message) {
    const renamed = message.names && JSON.stringify(message.names) !== JSON.stringify(this.names);
    if (renamed) this.names = message.names;
    const changed = [];
    for (const change of message.changes || []) {
      const line = this.lines.get(change.segment_id);
      if (!line) continue;
      line.speaker = change.speaker;
      changed.push(line);
    }
    (renamed ? [...this.lines.values()] : changed).forEach((line) => this.paintSpeaker(line));
  }

  // After `stopped` every utterance has had its final; what is left was never committed.
  dropPartials() {
    for (const [id, line] of this.lines) {
      if (line.final) continue;
      line.li.remove();
      this.lines.delete(id);
    }
  }

  speakerName(label) {
    return this.names[label]?.name || label;
  }

  // Labels seen so far, in order of first appearance.
  speakers() {
    const seen = new Set();
    for (const line of this.lines.values()) if (line.speaker) seen.add(line.speaker);
    return [...seen];
  }

  createLine(segmentId) {
    const li = document.createElement("li");
    li.dataset.segmentId = segmentId;
    for (const part of ["time", "speaker", "text"]) {
      const span = document.createElement(part === "speaker" && this.onSpeaker ? "button" : "span");
      span.className = part;
      li.append(span, " "); // the spaces keep words apart in textContent
    }
    const badge = li.querySelector(".speaker");
    if (this.onSpeaker) {
      badge.type = "button";
      badge.tabIndex = -1;
      badge.addEventListener("click", () => this.onSpeaker(this.lines.get(segmentId)?.speaker || "?"));
    }
    const line = { li, start: null, speaker: undefined, final: false };
    this.lines.set(segmentId, line);
    return line;
  }

  update(line, message, isFinal) {
    line.final = isFinal;
    line.li.className = isFinal ? "final" : "partial";
    line.li.querySelector(".text").textContent = message.text;
    if (line.speaker !== message.speaker) {
      line.speaker = message.speaker;
      this.paintSpeaker(line);
    }
    if (line.start !== message.start || !line.li.isConnected) {
      line.start = message.start;
      line.li.dataset.start = String(message.start);
      line.li.querySelector(".time").textContent = formatTime(message.start);
      this.place(line);
    }
    return line;
  }

  paintSpeaker(line) {
    const label = line.speaker || "?";
    const badge = line.li.querySelector(".speaker");
    const number = Number(label.replace(/\D/g, "")) || 0;
    badge.className = `speaker speaker-${number % SPEAKER_COLOURS}`;
    badge.textContent = this.speakerName(label);
    const role = this.names[label]?.role;
    badge.title = role ? `${label}, ${role}` : label;
    line.li.dataset.speaker = label;
  }

  // Lines stay ordered by start; a new line nearly always belongs at the end.
  place(line) {
    line.li.remove();
    let before = null;
    for (let node = this.list.lastElementChild; node; node = node.previousElementSibling) {
      if (Number(node.dataset.start) <= line.start) break;
      before = node;
    }
    this.list.insertBefore(line.li, before);
  }

  announce(line, text) {
    const p = document.createElement("p");
    p.textContent = `${this.speakerName(line.speaker || "?")}: ${text}`;
    this.announcer.append(p);
    while (this.announcer.childElementCount > ANNOUNCED_MAX) this.announcer.firstElementChild.remove();
  }

  follow(following) {
    this.following = following;
    this.jump.hidden = following;
    if (following) this.keepLive();
  }

  keepLive() {
    if (this.following) this.list.scrollTop = this.list.scrollHeight;
    this.lastScrollTop = this.list.scrollTop;
  }

  // Only a move up by the reader stops following: our own scrolling (smooth or
  // not) and withdrawn lines never move the view up away from the end.
  onScroll() {
    const box = this.list;
    const fromBottom = box.scrollHeight - box.clientHeight - box.scrollTop;
    const movedUp = box.scrollTop < this.lastScrollTop;
    this.lastScrollTop = box.scrollTop;
    if (fromBottom <= LIVE_SLACK_PX) {
      if (!this.following) this.follow(true);
    } else if (movedUp && this.following) {
      this.follow(false);
    }
  }
}
