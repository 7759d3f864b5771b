"use strict";

// Naming speakers on the recorder: a list of the speakers heard so far (the keyboard
// route) and a small dialog, also opened from a caption's speaker badge, that sends
// PATCH /v1/meetings/{id}/speakers (PROTOCOL.md, HTTP). The server then sends every
// recorder and viewer a `speakers` frame with the new names.

const SPEAKER_BADGE_COLOURS = 8; // as captions.js

class SpeakerNamer {
  // dialog: the <dialog>; roster: the section listing speakers; token: () => access token;
  // onNames: called with the server's names after a save.
  constructor({ dialog, roster, token, onNames }) {
    this.dialog = dialog;
    this.roster = roster;
    this.list = roster.querySelector("ul");
    this.token = token;
    this.onNames = onNames;
    this.meetingId = null;
    this.labels = [];
    this.names = {};
    this.suggestions = {}; // label -> {name, role, segment_id}: from the talk, unconfirmed
    this.editing = null;
    this.returnFocus = null;
    const part = (id) => dialog.querySelector(`#${id}`);
    this.form = part("speaker-form");
    this.heading = part("speaker-heading");
    this.name = part("speaker-name");
    this.role = part("speaker-role");
    this.error = part("speaker-error");
    this.saveButton = part("speaker-save");
    part("speaker-cancel").addEventListener("click", () => dialog.close());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    dialog.addEventListener("close", () => {
      const back = this.returnFocus?.isConnected ? this.returnFocus : null;
      (back || this.list.querySelector(`[data-speaker="${CSS.escape(this.editing || "")}"]`))?.focus();
    });
  }

  setMeeting(meetingId) {
    if (meetingId === this.meetingId) return; // a resumed meeting keeps its names
    this.meetingId = meetingId;
    this.labels = [];
    this.names = {};
    this.suggestions = {};
    if (this.dialog.open) this.dialog.close();
    this.render();
  }

  // A label heard in a caption or a relabel.
  see(label) {
    if (!label || this.labels.includes(label)) return;
    this.labels.push(label);
    this.labels.sort((a, b) => labelNumber(a) - labelNumber(b));
    this.render();
  }

  // After a `speakers` frame: labels: those the captions carry now (a relabel may retire one).
  applySpeakers(message, labels) {
    if (message.names) this.names = message.names;
    if (message.suggestions) this.suggestions = message.suggestions;
    this.labels = [...labels].sort((a, b) => labelNumber(a) - labelNumber(b));
    this.render();
  }

  render() {
    const items = this.labels.map((label) => {
      const entry = this.names[label] || {};
      const button = document.createElement("button");
      button.type = "button";
      button.className = `roster-button speaker-${labelNumber(label) % SPEAKER_BADGE_COLOURS}`;
      button.dataset.speaker = label;
      button.append(entry.name || label);
      if (entry.role) {
        const role = document.createElement("span");
        role.className = "roster-role";
        role.textContent = `, ${entry.role}`;
        button.append(role);
      }
      const hint = document.createElement("span");
      hint.className = "visually-hidden";
      hint.textContent = entry.name ? ` (${label}): change name` : ": give a name";
      button.append(hint);
      button.addEventListener("click", () => this.open(label));
      const li = document.createElement("li");
      li.append(button);
      const suggestion = entry.name ? null : this.suggestions[label];
      if (suggestion && (suggestion.name || suggestion.role)) li.append(this.suggestionButton(label, suggestion));
      return li;
    });
    const focusedLabel = this.list.contains(document.activeElement) ? document.activeElement.dataset.speaker : null;
    this.list.replaceChildren(...items);
    if (focusedLabel) this.list.querySelector(`[data-speaker="${CSS.escape(focusedLabel)}"]`)?.focus();
    this.roster.hidden = items.length === 0;
  }

  // "Sam, housing officer?": one press confirms what the talk suggested (PATCH, as typed).
  suggestionButton(label, suggestion) {
    const who = [suggestion.name, suggestion.role].filter(Boolean).join(", ");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "roster-suggestion";
    button.dataset.suggestionFor = label;
    button.textContent = `${who}?`;
    button.title = "Suggested from what was said; press to confirm";
    const hint = document.createElement("span");
    hint.className = "visually-hidden";
    hint.textContent = ` Confirm the suggested name for ${label}`;
    button.append(hint);
    button.addEventListener("click", () => {
      this.editing = label;
      this.returnFocus = button;
      this.store(label, suggestion.name || "", suggestion.role || "");
    });
    return button;
  }

  open(label) {
    if (!this.meetingId || !label || label === "?") return;
    this.editing = label;
    this.returnFocus = document.activeElement;
    const entry = this.names[label] || this.suggestions[label] || {};
    this.heading.textContent = `Name speaker ${label}`;
    this.name.value = entry.name || "";
    this.role.value = entry.role || "";
    this.error.textContent = "";
    this.dialog.showModal();
    this.name.focus();
  }

  save() {
    return this.store(this.editing, this.name.value.trim(), this.role.value.trim());
  }

  async store(label, name, role) {
    const entry = name || role ? { name: name || null, role: role || null } : null;
    this.saveButton.disabled = true;
    try {
      const answer = await casenoteRequest(this.token(), "PATCH",
        `/v1/meetings/${encodeURIComponent(this.meetingId)}/speakers`, { json: { [label]: entry } });
      this.names = answer.speakers || {};
      delete this.suggestions[label];
      this.render();
      this.onNames(this.names);
      if (this.dialog.open) this.dialog.close();
    } catch (error) {
      this.error.textContent = `The name could not be saved: ${error.message}.`;
      if (!this.dialog.open) this.open(label); // show why, with the suggestion to edit
    } finally {
      this.saveButton.disabled = false;
    }
  }
}

function labelNumber(label) {
  return Number(String(label).replace(/\D/g, "")) || 0;
}
