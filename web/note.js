"use strict";

// The recorder's case note and live risk flags (PROTOCOL.md, "Case note (JSON)", the `note`
// and `risk` frames, and the note routes of the HTTP table). The worker reads the draft
// beside the transcript, checks each statement against the lines it rests on, edits,
// deletes and adds items, decides on what the transcript does not support, and saves
// their version with PUT. Nothing is saved without a click on Save. Server text only
// ever goes in via textContent. Loaded after captions.js and share.js.

const NOTE_SECTIONS = [
  ["purpose", "Purpose"],
  ["discussion", "Discussion"],
  ["voice_of_person", "The person's views"],
  ["observations", "Observations"],
  ["risks", "Risks"],
  ["actions", "Actions"],
  ["next_steps", "Next steps"],
];
const NOTE_SEVERITIES = ["low", "medium", "high"];
const NOTE_POLL_MS = 2000;
const NOTE_KEEP_DEFAULT = "discussion";
const NOTE_LINE_PREVIEW = 160; // characters of a transcript line read out with its link
const NOTE_VERSION_HEADER = "X-Casenote-Note-Version"; // which version GET /note answered

function sectionHeading(key) {
  return NOTE_SECTIONS.find(([name]) => name === key)?.[1] || key;
}

// A node with properties and children; attributes named in `attrs`.
function make(tag, props = {}, children = [], attrs = {}) {
  const node = Object.assign(document.createElement(tag), props);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// A button; `kind`: start (the main action) or quiet.
function noteButton(id, kind, children, onClick, extraClass = "") {
  const className = `button button-${kind} button-small ${extraClass}`.trim();
  const button = make("button", { type: "button", className }, children);
  if (id) button.id = id;
  button.addEventListener("click", onClick);
  return button;
}

// Why a request failed, in words: the server's `error`, else its status.
function whyNot(answer) {
  return answer.body?.error || `the server answered ${answer.status}`;
}

function hiddenText(text) {
  return make("span", { className: "visually-hidden", textContent: text });
}

// "2026-11-27" → a local date; anything else → null.
function isoDate(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(date.getTime()) ? null : date;
}

function readableDate(text, withWeekday = true) {
  const date = isoDate(text);
  if (!date) return text || "";
  const options = { day: "numeric", month: "long", year: "numeric" };
  if (withWeekday) options.weekday = "long";
  return date.toLocaleDateString(undefined, options);
}

function readableDuration(seconds) {
  const whole = Math.round(Number(seconds) || 0);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.round(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// {status, body, headers}: an authorised request to our own API, the body parsed when it
// is JSON. Never throws: no answer at all is status 0. Used by note.js and documents.js.
async function apiRequest(token, method, path, json = null) {
  const headers = { Authorization: `Bearer ${token}` };
  if (json !== null) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: json === null ? undefined : JSON.stringify(json),
      cache: "no-store",
    });
  } catch {
    return { status: 0, body: { error: "the server did not answer" }, headers: new Headers() };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON
  }
  return { status: response.status, body, headers: response.headers };
}

// Fetches an export with the access token (a plain link cannot send it) and hands it to
// the browser as a download. The file's name, or null with `say` told why not.
async function downloadExport(token, path, fallbackName, say) {
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
  } catch {
    say("The download failed: the server did not answer.");
    return null;
  }
  if (!response.ok) {
    say(`The download failed: the server answered ${response.status}.`);
    return null;
  }
  const blob = await response.blob();
  const named = /filename="?([^";]+)"?/i.exec(response.headers.get("Content-Disposition") || "");
  const name = named ? named[1] : fallbackName;
  const url = URL.createObjectURL(blob);
  const link = make("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  say(`Downloaded ${name}.`);
  return name;
}

// The box of statements the transcript does not support, each with a "Keep in" choice
// (options: [value, label] pairs; chosen: the value preselected), Keep and Delete: the
// note's, and each document's (documents.js). Ids: `${prefix}-${index}-keep`, and so on.
function unsupportedBox({ prefix, headingId, level, className, heading, hint, texts, options, chosen,
  onKeep, onDelete }) {
  const section = make("section", { className }, [], { "aria-labelledby": headingId });
  section.append(make(level, { id: headingId }, [heading]), make("p", { className: "note-hint" }, hint));
  const list = make("ol", { className: "unsupported-list" });
  texts.forEach((text, index) => {
    const id = `${prefix}-${index}`;
    const select = make("select", { id: `${id}-section`, className: "unsupported-section" },
      options.map(([value, label]) => make("option", { value }, [label])));
    select.value = chosen;
    const keep = noteButton(`${id}-keep`, "quiet", ["Keep"], () => onKeep(index, select.value), "unsupported-keep");
    const drop = noteButton(`${id}-delete`, "quiet", ["Delete"], () => onDelete(index), "unsupported-delete");
    for (const button of [keep, drop]) button.setAttribute("aria-describedby", `${id}-text`);
    list.append(make("li", { className: "unsupported-item" }, [
      make("p", { id: `${id}-text`, className: "unsupported-text" }, [text]),
      make("div", { className: "unsupported-actions" }, [
        make("label", { htmlFor: select.id }, ["Keep in"]), select, keep, drop,
      ]),
    ]));
  });
  section.append(list);
  return section;
}

class NoteView {
  // view: the note <section>; status: the polite #note-status line; flags: the risk-flag
  // <section> (its <ul> inside); dialog: the "Draft again?" <dialog>; workspace: the
  // element whose data-note switches the layout; captions: the page's CaptionView;
  // token: () => access token.
  // onMeeting: told of every change of meeting (documents.js follows the same one).
  constructor({ view, status, flags, dialog, workspace, captions, token, onMeeting = null }) {
    this.onMeeting = onMeeting;
    this.view = view;
    this.body = view.querySelector(".note-body");
    this.status = status;
    this.flags = flags;
    this.flagList = flags.querySelector("ul");
    this.dialog = dialog;
    this.workspace = workspace;
    this.captions = captions;
    this.token = token;
    this.meetingId = null;
    this.generation = 0; // bumped on every change of meeting: late answers are dropped
    this.phase = "none"; // none | drafting | ready | failed | empty
    this.note = null; // the working copy shown and edited
    this.shown = "draft"; // draft | edited: which version the working copy came from
    this.edited = false; // the worker has a saved version on the server
    this.dirty = false;
    this.busy = false;
    this.risks = new Map(); // `${segment_id} ${cue}` → frame
    this.uids = new WeakMap(); // item → stable number, for element ids and focus
    this.nextUid = 1;
    this.parts = {};
    const part = (id) => dialog.querySelector(`#${id}`);
    part("redraft-cancel").addEventListener("click", () => dialog.close());
    part("redraft-confirm").addEventListener("click", () => {
      dialog.close();
      this.redraft();
    });
    this.redraftLost = part("redraft-unsaved");
    window.addEventListener("beforeunload", (event) => {
      if (!this.dirty) return;
      event.preventDefault();
      event.returnValue = ""; // older browsers need it set to ask
    });
  }

  // ---- the meeting ----

  // A new meeting (or none): everything of the previous one goes.
  setMeeting(meetingId) {
    if (meetingId === this.meetingId) return; // a resumed meeting keeps its flags
    this.generation += 1;
    this.meetingId = meetingId;
    this.phase = "none";
    this.note = null;
    this.edited = false;
    this.dirty = false;
    this.busy = false;
    this.risks.clear();
    this.flagList.replaceChildren();
    this.flags.hidden = true;
    this.body.replaceChildren();
    this.setStatus("");
    this.show(false);
    if (this.dialog.open) this.dialog.close();
    this.onMeeting?.(meetingId);
  }

  // False when the worker keeps unsaved changes rather than leave them.
  confirmDiscard() {
    return !this.dirty || window.confirm("Your changes to the note are not saved. Leave them?");
  }

  // A stored meeting opened by address (?meeting=…): its flags and its note.
  async openMeeting(meeting) {
    this.setMeeting(meeting.id);
    this.addRisks(meeting.risks || []);
    if (meeting.status === "live" || meeting.status === "interrupted") {
      this.setStatus("This meeting has not ended: its note is drafted when it stops.");
      return;
    }
    await this.loadCurrent(meeting.note || null, meeting.status === "processing");
  }

  // ---- frames from the recording socket ----

  applyFrame(message) {
    const generation = this.generation;
    if (message.status === "drafting") {
      if (this.phase !== "drafting") this.showDrafting();
      if (message.note) this.showProgress(message.note);
    } else if (message.status === "ready" && message.note) {
      this.phase = "ready";
      this.edited = false;
      this.showNote(message.note, "draft", generation);
      this.setStatus("The note is ready: check it, edit it and save it.", true);
    } else if (message.status === "failed") {
      this.showFailed(message.message);
    }
  }

  // The socket closed after `stopped`: a note still drafting is then followed over HTTP,
  // and one never heard of is asked for.
  connectionClosed() {
    if (!this.meetingId) return;
    if (this.phase === "drafting") this.poll(this.generation);
    else if (this.phase === "none") this.loadCurrent(null, true);
  }

  // ---- risk flags ----

  addRisk(frame) {
    if (!frame?.segment_id || !frame.cue) return;
    const key = `${frame.segment_id} ${frame.cue}`;
    if (this.risks.has(key)) return;
    this.risks.set(key, frame);
    const cueId = `risk-flag-${this.risks.size}`;
    const cue = make("span", { className: "risk-flag-cue", id: cueId }, [`Possible risk: ${frame.cue}`]);
    const link = this.lineButton(frame.segment_id);
    link.setAttribute("aria-describedby", cueId);
    const li = make("li", { className: "risk-flag" }, [cue, " ", link]);
    li.dataset.segmentId = frame.segment_id;
    li.dataset.cue = frame.cue;
    this.flagList.append(li);
    this.flags.hidden = false;
  }

  addRisks(frames) {
    for (const frame of frames) this.addRisk(frame);
  }

  // ---- links to transcript lines ----

  line(segmentId) {
    return this.captions.list.querySelector(`li[data-segment-id="${CSS.escape(segmentId)}"]`);
  }

  speakerName(label) {
    if (!label) return label;   // an attendee the talk names whose voice is not known
    const named = this.captions.speakerName(label);
    if (named !== label) return named;
    return this.note?.attendees?.find((person) => person.speaker === label)?.name || label;
  }

  // A small button that shows the line `segmentId` in the transcript: its time and speaker.
  lineButton(segmentId) {
    const button = make("button", { type: "button", className: "evidence-link" });
    button.dataset.segmentId = segmentId;
    this.paintLineButton(button);
    button.addEventListener("click", () => this.showLine(segmentId));
    return button;
  }

  paintLineButton(button) {
    const li = this.line(button.dataset.segmentId);
    if (!li) {
      button.replaceChildren(button.dataset.segmentId, hiddenText(": a transcript line not shown here"));
      return;
    }
    const speaker = li.dataset.speaker ? this.speakerName(li.dataset.speaker) : "";
    const time = formatTime(Number(li.dataset.start));
    button.replaceChildren(
      make("span", { className: "evidence-time" }, [time]),
      speaker ? make("span", { className: "evidence-speaker" }, [` ${speaker}`]) : "",
      hiddenText(": show this line in the transcript"),
    );
  }

  // After speakers are named or lines arrive: every link's time and speaker again.
  refreshLines() {
    for (const button of document.querySelectorAll(".evidence-link")) this.paintLineButton(button);
  }

  // Scrolls the transcript to the line and marks it; focus stays on the link, and the line
  // is read out politely, so a keyboard user can check one line after another.
  showLine(segmentId) {
    const li = this.line(segmentId);
    if (!li) {
      this.say(`Line ${segmentId} is not in the transcript on this page.`);
      return;
    }
    for (const old of this.captions.list.querySelectorAll(".is-evidence")) {
      old.classList.remove("is-evidence");
      old.removeAttribute("aria-current");
    }
    li.classList.add("is-evidence");
    li.setAttribute("aria-current", "true");
    li.scrollIntoView({ block: "center", inline: "nearest" });
    const text = li.querySelector(".text")?.textContent || "";
    const speaker = li.dataset.speaker ? this.speakerName(li.dataset.speaker) : "";
    const preview = text.length > NOTE_LINE_PREVIEW ? `${text.slice(0, NOTE_LINE_PREVIEW)}…` : text;
    this.say(`${formatTime(Number(li.dataset.start))} ${speaker}: ${preview}`);
  }

  // ---- states ----

  show(shown) {
    this.view.hidden = !shown;
    if (shown) this.workspace.dataset.note = "on";
    else delete this.workspace.dataset.note;
  }

  setStatus(text, linkToNote = false) {
    this.status.replaceChildren(text);
    if (linkToNote && text) {
      const link = make("a", { href: "#note-view", className: "note-jump" }, ["Go to the note"]);
      this.status.append(" ", link);
    }
  }

  showDrafting() {
    this.phase = "drafting";
    this.note = null;
    this.dirty = false;
    this.setStatus("Drafting the note…");
    this.body.replaceChildren(
      make("p", { className: "note-state" }, [
        "Drafting the note from the transcript. This can take a minute or two; ",
        "you can read the transcript meanwhile.",
      ]),
    );
    this.show(true);
  }

  // A partial note while drafting: how far it has got, not yet to edit.
  showProgress(partial) {
    const count = NOTE_SECTIONS.reduce((sum, [key]) => sum + (partial[key]?.length || 0), 0);
    if (!count) return;
    const progress = this.body.querySelector(".note-progress")
      || this.body.appendChild(make("p", { className: "note-state note-progress" }));
    progress.textContent = `${count} item${count === 1 ? "" : "s"} drafted so far.`;
  }

  showFailed(why) {
    this.phase = "failed";
    this.note = null;
    this.dirty = false;
    this.setStatus("The note could not be drafted.");
    const again = noteButton(null, "start", ["Try again"], () => this.redraft(), "note-retry");
    this.body.replaceChildren(
      make("div", { className: "note-failed dialog-error" }, [
        make("p", { className: "note-failed-title" }, ["The note could not be drafted."]),
        why ? make("p", { className: "note-failed-why" }, [`Reason: ${why}`]) : "",
        make("p", {}, ["The transcript is kept. You can try again, for example after naming the speakers."]),
        again,
      ]),
    );
    this.show(true);
  }

  showEmpty() {
    this.phase = "empty";
    this.setStatus("");
    const draft = noteButton(null, "start", ["Draft the note"], () => this.redraft(), "note-retry");
    this.body.replaceChildren(
      make("p", { className: "note-state" }, ["No note has been drafted for this meeting yet."]),
      draft,
    );
    this.show(true);
  }

  // ---- talking to the server ----

  path(suffix = "") {
    return `/v1/meetings/${encodeURIComponent(this.meetingId)}${suffix}`;
  }

  // {status, body, version}: the body parsed when it is JSON, and the note version the
  // server says it answered with. Never throws: no answer at all is status 0.
  async request(method, suffix, json = null) {
    const answer = await apiRequest(this.token(), method, this.path(suffix), json);
    return { status: answer.status, body: answer.body, version: answer.headers.get(NOTE_VERSION_HEADER) };
  }

  // The note the server calls current (the worker's if newer than the draft); `info` is
  // the meeting's `note` field when known; `finishing`: the meeting has only just stopped,
  // so no note yet means one to come.
  async loadCurrent(info, finishing = false) {
    const generation = this.generation;
    const answer = await this.request("GET", "/note");
    if (generation !== this.generation) return;
    if (answer.status === 200 && answer.body) {
      this.phase = "ready";
      const shown = answer.version === "edited" ? "edited" : "draft";
      this.edited = shown === "edited" || Boolean(info?.edited);
      this.showNote(answer.body, shown, generation);
      this.setStatus(shown === "edited" ? "Your saved note is open." : "The drafted note is open.", true);
      return;
    }
    const state = answer.body?.status || info?.status;
    if (state === "drafting" || (finishing && state === "none")) {
      this.showDrafting();
      this.poll(generation);
    } else if (state === "failed") {
      this.showFailed(info?.message || answer.body?.error || "");
    } else if (answer.status === 404 || answer.status === 409) {
      this.showEmpty();
    } else {
      this.setStatus(`The note could not be loaded: ${whyNot(answer)}.`);
    }
  }

  // Follows GET /v1/meetings/{id} until the note is ready or failed.
  async poll(generation) {
    while (generation === this.generation && this.phase === "drafting") {
      await sleep(NOTE_POLL_MS);
      if (generation !== this.generation) return;
      const answer = await this.request("GET", "");
      if (generation !== this.generation) return;
      if (answer.status !== 200) continue; // offline for a moment: ask again
      const info = answer.body?.note;
      if (answer.body?.status === "stopped" && info?.status === "none") {
        this.showEmpty(); // stopped, and nothing is being drafted: the drafter is off
        return;
      }
      if (info?.status === "failed") {
        this.showFailed(info.message || "");
        return;
      }
      if (info?.status !== "ready") continue;
      this.edited = Boolean(info.edited);
      await this.openVersion("draft", generation);
      if (this.phase === "ready") this.setStatus("The note is ready: check it, edit it and save it.", true);
      return;
    }
  }

  async openVersion(version, generation = this.generation) {
    const answer = await this.request("GET", `/note?version=${version}`);
    if (generation !== this.generation) return;
    if (answer.status !== 200 || !answer.body) {
      this.say(`The note could not be loaded: ${whyNot(answer)}.`);
      return;
    }
    this.phase = "ready";
    this.showNote(answer.body, version, generation);
  }

  async redraft() {
    if (!this.meetingId) return;
    const generation = this.generation;
    const answer = await this.request("POST", "/note:redraft");
    if (generation !== this.generation) return;
    if (answer.status !== 202 && answer.status !== 200) {
      this.say(`The note could not be drafted again: ${whyNot(answer)}.`);
      return;
    }
    this.showDrafting();
    this.view.focus(); // the button pressed is gone with the old note
    this.poll(generation);
  }

  askRedraft() {
    this.redraftLost.hidden = !this.dirty;
    this.dialog.showModal();
    this.dialog.querySelector("#redraft-cancel").focus();
  }

  // ---- the note ----

  uid(item) {
    if (!this.uids.has(item)) this.uids.set(item, this.nextUid++);
    return this.uids.get(item);
  }

  // A working copy of `note`, as `version` ("draft" or "edited"), drawn afresh.
  showNote(note, version, generation) {
    if (generation !== this.generation) return;
    const copy = structuredClone(note);
    for (const [key] of NOTE_SECTIONS) if (!Array.isArray(copy[key])) copy[key] = [];
    if (!Array.isArray(copy.unsupported)) copy.unsupported = [];
    if (!Array.isArray(copy.attendees)) copy.attendees = [];
    this.note = copy;
    this.shown = version;
    this.dirty = false;
    this.render();
    this.show(true);
  }

  changed() {
    this.dirty = true;
    this.parts.unsaved.textContent = "Unsaved changes";
  }

  // Says something in the note's own polite status line (or the page's, with no note).
  say(text) {
    if (this.parts.feedback?.isConnected) this.parts.feedback.textContent = text;
    else this.setStatus(text);
  }

  // Draws the whole note, keeping focus on the element with the same id.
  render() {
    const focusId = this.view.contains(document.activeElement) ? document.activeElement.id : null;
    const note = this.note;
    const parts = {};
    parts.feedback = make("p", { id: "note-feedback", className: "note-feedback" }, [], { role: "status" });
    parts.unsaved = make("span", { className: "note-unsaved" }, [this.dirty ? "Unsaved changes" : ""]);
    this.parts = parts;
    this.body.replaceChildren(
      this.renderMeta(note),
      this.renderToolbar(),
      this.renderAttendees(note),
      this.renderCoverage(note),
      this.renderUnsupported(note),
      ...NOTE_SECTIONS.map(([key, heading]) => this.renderSection(key, heading)),
    );
    if (focusId) document.getElementById(focusId)?.focus();
  }

  renderMeta(note) {
    const facts = [note.title, readableDate(note.date), readableDuration(note.duration_s)].filter(Boolean);
    const version = this.shown === "edited"
      ? "Your saved version. The draft is kept beside it."
      : "The draft: check every item against the transcript before you save it.";
    const meta = make("div", { className: "note-meta" }, [
      make("p", { className: "note-facts" }, [facts.join(" · ")]),
      make("p", { className: "note-version", id: "note-version" }, [version]),
    ]);
    if (this.edited) {
      const other = this.shown === "edited" ? "draft" : "edited";
      const label = other === "draft" ? "Show the draft" : "Show your saved version";
      meta.append(noteButton("note-switch", "quiet", [label], () => {
        if (this.confirmDiscard()) this.openVersion(other);
      }));
    }
    if (note.model) {
      meta.append(make("p", { className: "note-model" }, [`Drafted with ${note.model}.`]));
    }
    return meta;
  }

  renderToolbar() {
    const save = noteButton("note-save", "start", ["Save note"], () => this.save());
    const md = noteButton("note-download-md", "quiet",
      ["Download ", make("abbr", { title: "Markdown text" }, [".md"])], () => this.download("md"));
    const docx = noteButton("note-download-docx", "quiet",
      ["Download ", make("abbr", { title: "Word document" }, [".docx"])], () => this.download("docx"));
    const again = noteButton("note-redraft", "quiet", ["Draft again"], () => this.askRedraft());
    again.setAttribute("aria-haspopup", "dialog");
    return make("div", { className: "note-toolbar" }, [
      make("div", { className: "note-buttons" }, [save, md, docx, again]),
      make("p", { className: "note-save-state" }, [this.parts.unsaved]),
      this.parts.feedback,
    ]);
  }

  renderAttendees(note) {
    const section = make("section", { className: "note-attendees" }, [],
      { "aria-labelledby": "note-attendees-heading" });
    section.append(make("h3", { id: "note-attendees-heading" }, ["Present"]));
    if (note.attendees.length === 0) {
      section.append(make("p", { className: "note-empty" }, ["Nobody was named."]));
      return section;
    }
    const list = make("ul", { className: "note-attendee-list" });
    for (const person of note.attendees) {
      const name = this.speakerName(person.speaker) !== person.speaker
        ? this.speakerName(person.speaker) : person.name || person.speaker;
      const role = person.role ? `, ${person.role}` : "";
      const confirmed = Boolean(person.speaker) &&
        this.captions.speakerName(person.speaker) !== person.speaker;
      const item = make("li", {}, [`${name}${role}`]);
      if (!person.speaker) {
        item.append(make("span", { className: "note-suggested" },
          [" (named in what was said; which voice was theirs is not known)"]));
      } else if (person.suggested && !confirmed) {
        item.append(make("span", { className: "note-suggested" },
          [" (suggested from what was said: confirm it under Speakers)"]));
      }
      list.append(item);
    }
    section.append(list);
    return section;
  }

  // "12 of 14 lines with content are cited; 3 judged small talk": nothing silently dropped.
  renderCoverage(note) {
    const coverage = note.coverage;
    if (!coverage) return "";
    const small = coverage.small_talk.length;
    const text = `This draft cites ${coverage.cited} of the ${coverage.segments} transcript ` +
      `lines with content` + (small ? `; ${small} line${small === 1 ? " was" : "s were"} ` +
      `judged small talk and left out.` : ".");
    return make("p", { className: "note-coverage", id: "note-coverage" }, [text]);
  }

  renderUnsupported(note) {
    if (note.unsupported.length === 0) return "";
    return unsupportedBox({
      prefix: "unsupported",
      headingId: "note-unsupported-heading",
      level: "h3",
      className: "note-unsupported",
      heading: "Not supported by the transcript — check before keeping",
      hint: [
        "The draft said these, but no line of the transcript supports them. They are not in ",
        "the note. Keep one only if you know it is right: it goes into the section you choose, ",
        "marked as your statement.",
      ],
      texts: note.unsupported,
      options: NOTE_SECTIONS,
      chosen: NOTE_KEEP_DEFAULT,
      onKeep: (index, key) => this.keepUnsupported(index, key),
      onDelete: (index) => this.deleteUnsupported(index),
    });
  }

  renderSection(key, heading) {
    const headingId = `note-${key}-heading`;
    const section = make("section", { className: "note-section" }, [], { "aria-labelledby": headingId });
    section.dataset.section = key;
    section.append(make("h3", { id: headingId }, [heading]));
    const items = this.note[key];
    if (items.length === 0) {
      section.append(make("p", { className: "note-empty" }, ["Nothing here yet."]));
    } else {
      const rendered = items.map((item, i) => this.renderItem(key, item, i));
      section.append(make("ol", { className: "note-items" }, rendered));
    }
    section.append(noteButton(`note-${key}-add`, "quiet", ["Add item", hiddenText(` to ${heading}`)],
      () => this.addItem(key), "note-add"));
    return section;
  }

  renderItem(key, item, index) {
    const id = `note-item-${this.uid(item)}`;
    const where = `${sectionHeading(key)}, item ${index + 1}`;
    const text = make("textarea", { id, className: "note-text", value: item.text, rows: 2 });
    text.rows = Math.min(8, Math.max(2, Math.ceil(item.text.length / 55)));
    text.addEventListener("input", () => {
      item.text = text.value;
      this.changed();
    });
    const li = make("li", { className: "note-item" }, [
      make("label", { htmlFor: id, className: "visually-hidden" }, [where]),
      text,
    ]);
    li.dataset.uid = String(this.uid(item));
    if (key === "risks") {
      li.append(this.severityField(item, id, li));
      li.dataset.severity = item.severity;
    }
    if (key === "actions") li.append(this.actionFields(item, id));
    li.append(this.evidence(item, id));
    li.append(noteButton(`${id}-delete`, "quiet", ["Delete", hiddenText(` ${where}`)],
      () => this.deleteItem(key, item), "note-delete"));
    return li;
  }

  severityField(item, id, li) {
    if (!NOTE_SEVERITIES.includes(item.severity)) item.severity = "medium";
    const select = make("select", { id: `${id}-severity`, className: "note-severity" },
      NOTE_SEVERITIES.map((level) => make("option", { value: level }, [level])));
    select.value = item.severity;
    select.addEventListener("change", () => {
      item.severity = select.value;
      li.dataset.severity = item.severity;
      this.changed();
    });
    return make("div", { className: "note-field" }, [
      make("label", { htmlFor: select.id }, ["Severity"]), select,
    ]);
  }

  actionFields(item, id) {
    const owner = make("input", {
      type: "text", id: `${id}-owner`, className: "note-owner", value: item.owner || "",
      autocomplete: "off", maxLength: 200,
    });
    owner.addEventListener("input", () => {
      item.owner = owner.value.trim() ? owner.value : null;
      this.changed();
    });
    const due = make("input", {
      type: "date", id: `${id}-due`, className: "note-due", value: isoDate(item.due) ? item.due : "",
    });
    const readable = make("span", { id: `${id}-due-text`, className: "note-due-text" });
    const paint = () => {
      readable.textContent = item.due ? `Due ${readableDate(item.due)}` : "No due date";
    };
    paint();
    due.setAttribute("aria-describedby", readable.id);
    due.addEventListener("change", () => {
      item.due = due.value || null;
      paint();
      this.changed();
    });
    return make("div", { className: "note-fields" }, [
      make("div", { className: "note-field" }, [make("label", { htmlFor: owner.id }, ["Owner"]), owner]),
      make("div", { className: "note-field" }, [make("label", { htmlFor: due.id }, ["Due"]), due, readable]),
    ]);
  }

  evidence(item, id) {
    if (!Array.isArray(item.evidence) || item.evidence.length === 0) {
      item.evidence = [];
      return make("p", { className: "note-own", id: `${id}-own` },
        ["Your statement, no transcript evidence"]);
    }
    const list = make("ul", { className: "evidence-list" },
      item.evidence.map((segmentId) => make("li", {}, [this.lineButton(segmentId)])));
    return make("div", { className: "note-evidence" }, [
      make("span", { className: "note-evidence-label" }, ["From the transcript:"]), list,
    ]);
  }

  // ---- changes ----

  // A new item at the end of a section, the worker's own (no evidence), focused.
  appendOwn(key, text) {
    const item = { text, evidence: [] };
    if (key === "risks") item.severity = "medium";
    if (key === "actions") Object.assign(item, { owner: null, due: null });
    this.note[key].push(item);
    this.changed();
    this.render();
    document.getElementById(`note-item-${this.uid(item)}`)?.focus();
  }

  addItem(key) {
    this.appendOwn(key, "");
    this.say(`New item in ${sectionHeading(key)}: type it, then save the note.`);
  }

  deleteItem(key, item) {
    const items = this.note[key];
    const index = items.indexOf(item);
    if (index < 0) return;
    items.splice(index, 1);
    this.changed();
    this.render();
    const next = items[index] || items[index - 1];
    const target = next ? `note-item-${this.uid(next)}` : `note-${key}-add`;
    document.getElementById(target)?.focus();
    this.say(`Item deleted from ${sectionHeading(key)}. Save the note to keep the change.`);
  }

  keepUnsupported(index, key) {
    const text = this.note.unsupported[index];
    if (text === undefined || !Object.hasOwn(this.note, key)) return;
    this.note.unsupported.splice(index, 1);
    this.appendOwn(key, text);
    this.say(`Kept in ${sectionHeading(key)} as your statement. Save the note to keep it.`);
  }

  deleteUnsupported(index) {
    if (this.note.unsupported[index] === undefined) return;
    this.note.unsupported.splice(index, 1);
    this.changed();
    this.render();
    const next = Math.min(index, this.note.unsupported.length - 1);
    (document.getElementById(`unsupported-${next}-keep`) || document.getElementById("note-save"))?.focus();
    this.say("Statement deleted. Save the note to keep the change.");
  }

  // The working copy as PROTOCOL.md's note: schema fields only, blank items left out.
  toWire() {
    const note = structuredClone(this.note);
    for (const [key] of NOTE_SECTIONS) {
      note[key] = note[key]
        .filter((item) => item.text.trim())
        .map((item) => {
          const out = { text: item.text.trim(), evidence: [...item.evidence] };
          if (key === "risks") out.severity = item.severity;
          if (key === "actions") {
            out.owner = item.owner?.trim() || null;
            out.due = isoDate(item.due) ? item.due : null;
          }
          return out;
        });
    }
    return note;
  }

  async save() {
    if (!this.note || this.busy) return false;
    const generation = this.generation;
    const button = document.getElementById("note-save");
    this.busy = true;
    if (button) button.disabled = true;
    this.say("Saving…");
    const answer = await this.request("PUT", "/note", this.toWire());
    this.busy = false;
    if (button?.isConnected) button.disabled = false;
    if (generation !== this.generation) return false;
    if (answer.status !== 200) {
      this.say(`Not saved: ${whyNot(answer)}. Your changes are still here.`);
      return false;
    }
    this.edited = true;
    this.showNote(answer.body || this.toWire(), "edited", generation);
    document.getElementById("note-save")?.focus();
    const at = new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    this.say(`Saved at ${at}.`);
    return true;
  }

  // Downloads the version on screen; unsaved changes are saved first.
  async download(format) {
    if (this.dirty && !(await this.save())) return;
    await downloadExport(this.token(), this.path(`/note.${format}?version=${this.shown}`),
      `case-note-${this.meetingId}.${format}`, (text) => this.say(text));
  }
}
