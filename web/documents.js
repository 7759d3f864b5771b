"use strict";

// Letters and referrals drafted from the case note (PROTOCOL.md: POST and GET
// /v1/meetings/{id}/documents; docs/protocol.md: the list, PUT and the extra fields).
// Drafting is one request of 10 to 60 s on a small server: the page stays usable and says
// what it is doing. Each document is shown to edit: title, greeting, each part's heading and
// text with the transcript lines it rests on (note.js's line buttons), the closing, and
// apart, what the transcript does not support. Nothing is saved without a click on Save.
// Server text only ever goes in via textContent or form values. Loaded after note.js
// (make, noteButton, hiddenText, whyNot, apiRequest, downloadExport, unsupportedBox).

const DOCUMENT_WHEN = { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" };

// "letter" or "referral to housing": what a request or a document is, in words.
function documentWhat({ kind, to }) {
  return kind === "referral" ? `referral to ${to || "another service"}` : "letter";
}

function documentName(doc) {
  return doc.kind === "referral" ? `Referral to ${doc.to || "another service"}` : "Letter to the person";
}

function readableWhen(iso) {
  const date = new Date(iso || "");
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString(undefined, DOCUMENT_WHEN);
}

class DocumentsView {
  // root: the documents <section> inside the note view; dialog: the "Draft a referral"
  // <dialog>; notes: the page's NoteView (links to transcript lines); token: () => token.
  constructor({ root, dialog, notes, token }) {
    this.root = root;
    this.dialog = dialog;
    this.notes = notes;
    this.token = token;
    this.list = root.querySelector("#documents-list");
    this.status = root.querySelector("#documents-status");
    this.letterButton = root.querySelector("#draft-letter");
    this.referralButton = root.querySelector("#draft-referral");
    this.meetingId = null;
    this.generation = 0; // bumped on every change of meeting: late answers are dropped
    this.entries = []; // {doc (the working copy), uid, dirty, busy, node, parts}
    this.nextUid = 1;
    this.drafting = null; // what is being drafted, in words, or null
    this.letterButton.addEventListener("click", () => this.draft({ kind: "letter" }));
    this.referralButton.addEventListener("click", () => this.askReferral());
    this.wireDialog();
    window.addEventListener("beforeunload", (event) => {
      if (!this.dirty()) return;
      event.preventDefault();
      event.returnValue = ""; // older browsers need it set to ask
    });
  }

  wireDialog() {
    const part = (id) => this.dialog.querySelector(`#${id}`);
    this.serviceSelect = part("referral-to");
    this.otherField = part("referral-other-field");
    this.otherInput = part("referral-other");
    this.dialogError = part("referral-error");
    this.serviceSelect.addEventListener("change", () => {
      this.otherField.hidden = this.serviceSelect.value !== "";
      if (!this.otherField.hidden) this.otherInput.focus();
    });
    part("referral-cancel").addEventListener("click", () => this.dialog.close());
    part("referral-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const to = (this.serviceSelect.value || this.otherInput.value).trim();
      if (!to) {
        this.dialogError.textContent = "Say which service the referral is for.";
        this.otherInput.focus();
        return;
      }
      this.dialog.close();
      this.draft({ kind: "referral", to });
    });
    this.dialog.addEventListener("close", () => this.referralButton.focus());
  }

  // ---- the meeting ----

  // A new meeting (or none): the previous one's documents go; this one's are listed.
  setMeeting(meetingId) {
    this.generation += 1;
    this.meetingId = meetingId;
    this.entries = [];
    this.list.replaceChildren();
    this.setDrafting(null);
    this.say("");
    this.root.hidden = !meetingId;
    if (this.dialog.open) this.dialog.close();
    if (meetingId) this.load();
  }

  dirty() {
    return this.entries.some((entry) => entry.dirty);
  }

  // False when the worker keeps unsaved changes rather than leave them.
  confirmDiscard() {
    return !this.dirty()
      || window.confirm("Your changes to a letter or referral are not saved. Leave them?");
  }

  path(suffix = "") {
    return `/v1/meetings/${encodeURIComponent(this.meetingId)}/documents${suffix}`;
  }

  async load() {
    const generation = this.generation;
    const answer = await apiRequest(this.token(), "GET", this.path());
    if (generation !== this.generation) return;
    if (answer.status !== 200 || !Array.isArray(answer.body?.documents)) {
      this.say(`The letters and referrals could not be loaded: ${whyNot(answer)}.`);
      return;
    }
    for (const doc of answer.body.documents) this.add(doc);
  }

  // Says something in the section's own polite status line.
  say(text) {
    this.status.textContent = text;
  }

  // ---- drafting ----

  askReferral() {
    if (this.refuseWhileDrafting()) return;
    this.dialogError.textContent = "";
    this.dialog.showModal();
    this.serviceSelect.focus();
  }

  refuseWhileDrafting() {
    if (!this.drafting) return false;
    this.say(`Drafting the ${this.drafting}… Wait for it to finish before drafting another.`);
    return true;
  }

  // The draft buttons stay focusable while busy (aria-disabled), so focus is not lost.
  setDrafting(what) {
    this.drafting = what;
    for (const button of [this.letterButton, this.referralButton]) {
      if (what) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    }
    if (what) this.list.setAttribute("aria-busy", "true");
    else this.list.removeAttribute("aria-busy");
  }

  // {kind: "letter"} or {kind: "referral", to}: one synchronous POST; the new document is
  // added below the others.
  async draft(request) {
    if (!this.meetingId || this.refuseWhileDrafting()) return;
    const what = documentWhat(request);
    const generation = this.generation;
    this.setDrafting(what);
    this.say(`Drafting the ${what}… This can take up to a minute; you can keep working meanwhile.`);
    const answer = await apiRequest(this.token(), "POST", this.path(), request);
    if (generation !== this.generation) return;
    this.setDrafting(null);
    if (answer.status === 201 && answer.body) {
      const entry = this.add(answer.body);
      this.say(`The ${what} is drafted, below: check it against the transcript, edit it and save it.`);
      const focus = document.activeElement;
      if (!focus || focus === document.body || focus === this.letterButton || focus === this.referralButton) {
        entry.node.querySelector("h3").focus();
      }
      return;
    }
    if (answer.status === 409) {
      this.say(`The case note is not drafted yet, and the ${what} is drafted from it. ` +
        "Wait until the note is ready (or draft it), then try again.");
    } else {
      this.say(`The ${what} could not be drafted: ${whyNot(answer)}.`);
    }
  }

  // ---- documents ----

  add(doc) {
    const entry = { doc: this.workingCopy(doc), uid: this.nextUid++, dirty: false, busy: false };
    entry.node = this.render(entry);
    this.list.append(entry.node);
    return entry;
  }

  workingCopy(doc) {
    const copy = structuredClone(doc);
    for (const key of ["title", "greeting", "closing"]) if (typeof copy[key] !== "string") copy[key] = "";
    if (!Array.isArray(copy.sections)) copy.sections = [];
    for (const section of copy.sections) {
      section.heading = section.heading || "";
      section.text = section.text || "";
      if (!Array.isArray(section.evidence)) section.evidence = [];
    }
    if (!Array.isArray(copy.unsupported)) copy.unsupported = [];
    return copy;
  }

  // Draws one document again in place, keeping focus on the element with the same id.
  redraw(entry) {
    const focusId = entry.node.contains(document.activeElement) ? document.activeElement.id : null;
    const node = this.render(entry);
    entry.node.replaceWith(node);
    entry.node = node;
    if (focusId) document.getElementById(focusId)?.focus();
  }

  changed(entry) {
    entry.dirty = true;
    entry.parts.unsaved.textContent = "Unsaved changes";
  }

  render(entry) {
    const { doc } = entry;
    const id = `doc-${entry.uid}`;
    const name = documentName(doc);
    entry.parts = {
      unsaved: make("span", { className: "note-unsaved" }, [entry.dirty ? "Unsaved changes" : ""]),
      feedback: make("p", { id: `${id}-feedback`, className: "note-feedback" }, [], { role: "status" }),
    };
    const heading = make("h3", { id: `${id}-heading`, tabIndex: -1 }, [name]);
    const article = make("article", { id, className: "doc-card" }, [
      heading,
      this.renderMeta(doc),
      this.renderToolbar(entry, id, name),
      this.renderUnsupported(entry, id),
      this.textField(entry, `${id}-title`, "Title", "title"),
      this.textField(entry, `${id}-greeting`, "Greeting", "greeting"),
      make("ol", { className: "doc-sections" },
        doc.sections.map((section, index) => this.renderSection(entry, section, index, `${id}-s${index}`))),
      this.textField(entry, `${id}-closing`, "Closing", "closing", true),
    ], { "aria-labelledby": heading.id });
    article.dataset.documentId = doc.id;
    article.dataset.kind = doc.kind;
    return article;
  }

  renderMeta(doc) {
    const facts = [`Drafted ${readableWhen(doc.created_at)}`];
    if (doc.model) facts.push(`with ${doc.model}`);
    const meta = [make("p", { className: "note-model" }, [`${facts.join(" ")}.`])];
    if (doc.edited_at) {
      meta.push(make("p", { className: "note-version" }, [`Your version, saved ${readableWhen(doc.edited_at)}.`]));
    }
    return make("div", { className: "doc-meta" }, meta);
  }

  renderToolbar(entry, id, name) {
    const which = hiddenText(`: ${name}`);
    const save = noteButton(`${id}-save`, "start", ["Save", which.cloneNode(true)], () => this.save(entry));
    const md = noteButton(`${id}-download-md`, "quiet",
      ["Download ", make("abbr", { title: "Markdown text" }, [".md"]), which.cloneNode(true)],
      () => this.download(entry, "md"));
    const docx = noteButton(`${id}-download-docx`, "quiet",
      ["Download ", make("abbr", { title: "Word document" }, [".docx"]), which.cloneNode(true)],
      () => this.download(entry, "docx"));
    const again = noteButton(`${id}-again`, "quiet", ["Draft again", which],
      () => this.draft({ kind: entry.doc.kind, to: entry.doc.to || undefined }));
    return make("div", { className: "doc-toolbar" }, [
      make("div", { className: "note-buttons" }, [save, md, docx, again]),
      make("p", { className: "note-save-state" }, [entry.parts.unsaved]),
      entry.parts.feedback,
    ]);
  }

  // A one-line (or, with `multiline`, a textarea) field bound to doc[key].
  textField(entry, id, label, key, multiline = false) {
    const value = entry.doc[key];
    const input = multiline
      ? make("textarea", { id, className: "note-text doc-text", value, rows: Math.max(2, value.split("\n").length) })
      : make("input", { id, type: "text", className: "doc-line", value, autocomplete: "off" });
    input.addEventListener("input", () => {
      entry.doc[key] = input.value;
      this.changed(entry);
    });
    return make("div", { className: "doc-field" }, [make("label", { htmlFor: id }, [label]), input]);
  }

  partName(section, index) {
    return section.heading.trim() || `Part ${index + 1}`;
  }

  renderSection(entry, section, index, id) {
    const where = ` of part ${index + 1}`;
    const heading = make("input", {
      id: `${id}-heading`, type: "text", className: "doc-line doc-heading", value: section.heading,
      autocomplete: "off",
    });
    heading.addEventListener("input", () => {
      section.heading = heading.value;
      this.changed(entry);
    });
    const text = make("textarea", { id: `${id}-text`, className: "note-text doc-text", value: section.text });
    text.rows = Math.min(10, Math.max(2, Math.ceil(section.text.length / 55) + section.text.split("\n").length - 1));
    text.addEventListener("input", () => {
      section.text = text.value;
      this.changed(entry);
    });
    const li = make("li", { className: "note-item doc-section" }, [
      make("div", { className: "doc-field" }, [
        make("label", { htmlFor: heading.id }, ["Heading", hiddenText(where)]), heading,
      ]),
      make("div", { className: "doc-field" }, [
        make("label", { htmlFor: text.id }, ["Text", hiddenText(where)]), text,
      ]),
      this.evidence(section, id),
    ]);
    li.dataset.index = String(index);
    return li;
  }

  evidence(section, id) {
    if (section.evidence.length === 0) {
      return make("p", { className: "doc-no-evidence", id: `${id}-own` },
        ["No transcript lines: text from the template, or your own words"]);
    }
    const list = make("ul", { className: "evidence-list" },
      section.evidence.map((segmentId) => make("li", {}, [this.notes.lineButton(segmentId)])));
    return make("div", { className: "note-evidence" }, [
      make("span", { className: "note-evidence-label" }, ["From the transcript:"]), list,
    ]);
  }

  renderUnsupported(entry, id) {
    const { doc } = entry;
    if (doc.unsupported.length === 0 || doc.sections.length === 0) return "";
    const fallback = Math.max(0, doc.sections.findIndex((s) => s.evidence.length > 0));
    return unsupportedBox({
      prefix: `${id}-unsupported`,
      headingId: `${id}-unsupported-heading`,
      level: "h4",
      className: "note-unsupported doc-unsupported",
      heading: "Not supported by the transcript — check before using",
      hint: [
        "The drafter wrote these, but no line of the transcript supports them. They are not in ",
        "the document. Keep one only if you know it is right: it is added to the end of the part ",
        "you choose.",
      ],
      texts: doc.unsupported,
      options: doc.sections.map((s, i) => [String(i), this.partName(s, i)]),
      chosen: String(fallback),
      onKeep: (index, value) => this.keepUnsupported(entry, index, Number(value), id),
      onDelete: (index) => this.deleteUnsupported(entry, index, id),
    });
  }

  // ---- changes ----

  keepUnsupported(entry, index, sectionIndex, id) {
    const text = entry.doc.unsupported[index];
    const section = entry.doc.sections[sectionIndex];
    if (text === undefined || !section) return;
    entry.doc.unsupported.splice(index, 1);
    section.text = section.text.trimEnd() ? `${section.text.trimEnd()}\n${text}` : text;
    this.changed(entry);
    this.redraw(entry);
    document.getElementById(`${id}-s${sectionIndex}-text`)?.focus();
    entry.parts.feedback.textContent =
      `Added to “${this.partName(section, sectionIndex)}”. Save to keep it.`;
  }

  deleteUnsupported(entry, index, id) {
    if (entry.doc.unsupported[index] === undefined) return;
    entry.doc.unsupported.splice(index, 1);
    this.changed(entry);
    this.redraw(entry);
    const next = Math.min(index, entry.doc.unsupported.length - 1);
    (document.getElementById(`${id}-unsupported-${next}-keep`) || document.getElementById(`${id}-save`))?.focus();
    entry.parts.feedback.textContent = "Statement deleted. Save to keep the change.";
  }

  // The working copy as the PUT body: what the worker may change.
  toWire(doc) {
    return {
      title: doc.title,
      greeting: doc.greeting,
      closing: doc.closing,
      sections: doc.sections.map((s) => ({ heading: s.heading, text: s.text, evidence: [...s.evidence] })),
      unsupported: [...doc.unsupported],
    };
  }

  async save(entry) {
    if (entry.busy) return false;
    const generation = this.generation;
    const id = `doc-${entry.uid}`;
    entry.busy = true;
    entry.parts.feedback.textContent = "Saving…";
    const suffix = `/${encodeURIComponent(entry.doc.id)}`;
    const answer = await apiRequest(this.token(), "PUT", this.path(suffix), this.toWire(entry.doc));
    entry.busy = false;
    if (generation !== this.generation) return false;
    if (answer.status !== 200 || !answer.body) {
      entry.parts.feedback.textContent = `Not saved: ${whyNot(answer)}. Your changes are still here.`;
      return false;
    }
    entry.doc = this.workingCopy(answer.body);
    entry.dirty = false;
    this.redraw(entry);
    const at = new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    entry.parts.feedback.textContent = `Saved at ${at}.`;
    if (!entry.node.contains(document.activeElement)) document.getElementById(`${id}-save`)?.focus();
    return true;
  }

  // Downloads the document as saved; unsaved changes are saved first.
  async download(entry, format) {
    if (entry.dirty && !(await this.save(entry))) return;
    const { doc } = entry;
    await downloadExport(this.token(), this.path(`/${encodeURIComponent(doc.id)}.${format}`),
      `${doc.id}-${doc.kind}.${format}`, (text) => {
        entry.parts.feedback.textContent = text;
      });
  }
}
