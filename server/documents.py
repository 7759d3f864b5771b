"""Follow-up documents (letters, referrals) drafted from a meeting's case note.

A document is built from a template file (``server/templates/*.toml``, or a council's own
folder given by ``--templates-dir``): its headings, order and fixed text come from the
file; its content comes from the note's items, each keeping the transcript evidence it
had in the note. Where the template asks for the model's words (a rewrite for the person,
or a summary), each sentence the model writes is checked against the cited transcript
lines like a note item; one the lines do not support is set aside in ``unsupported`` for
the worker, and the note's own words stand in its place.

Document JSON (PROTOCOL.md): ``{"id", "kind", "sections": [{"heading", "text",
"evidence"}], "unsupported"}`` plus ``meeting_id``, ``to``, ``title``, ``greeting``,
``closing``, ``template``, ``model``, ``created_at``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.note_exports import clock, item_line, readable_date
from server.notes.drafting import Checker, DraftRequest, Drafter
from server.notes.prompt import DraftItem, parse_json_prefix
from server.notes.schema import SECTIONS, Person, Segment

BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates"
KINDS = ("letter", "referral")
STYLES = ("plain", "summary", "as_is")
MAX_TO_CHARS = 80
REWRITE_SCHEMA: dict[str, Any] = {
    "type": "object", "properties": {"text": {"type": "string"}},
    "required": ["text"], "additionalProperties": False}
REWRITE_TOKENS = 90
# Model rewrites per document, the first items in the template's order; later items keep
# the note's own words. Each rewrite is one model call (2-6 s on an idle 2-core machine,
# ~9 s with other work beside it), and the worker waits for the letter: a long visit's
# 30-item note would otherwise take minutes. Count-based, so the same note always gives
# the same letter.
MAX_REWRITES = 12
SUMMARY_TOKENS = 120
WORKER_ROLES = re.compile(r"\b(?:social worker|worker|practitioner|caseworker|key worker)\b",
                          re.I)
CONSENT = re.compile(r"\b(?:consent\w*|(?:I'?m|I am|we'?re|we are) (?:happy|ok(?:ay)?|fine) "
                     r"(?:for|with)|yes,? please|(?:I|we) agree\b|go ahead)", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
NO_CONSENT_TEXT = ("Consent to this referral was not recorded at the visit: ask the person "
                   "before sending.")


class TemplateError(ValueError):
    """A template file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class SectionSpec:
    heading: str
    sources: tuple[str, ...] = ()
    text: str | None = None
    style: str = "as_is"
    empty: str | None = None
    consent: bool = False


@dataclass(frozen=True)
class Template:
    name: str
    kind: str
    title: str
    greeting: str
    closing: str
    audience: str
    sections: tuple[SectionSpec, ...] = field(default_factory=tuple)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def template_path(kind: str, to: str | None, folder: Path | None) -> Path:
    """The council's file first, then the built-in one; a service's own referral first."""
    names = ([f"{kind}-{slug(to)}.toml"] if to else []) + [f"{kind}.toml"]
    for base in ([folder] if folder else []) + [BUILTIN_TEMPLATES]:
        for name in names:
            if (base / name).is_file():
                return base / name
    raise TemplateError(f"no template for {kind!r}")


def load_template(path: Path) -> Template:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path.name}: {exc}") from None
    sections = []
    for i, raw in enumerate(data.get("sections") or [], 1):
        where = f"{path.name}, section {i}"
        sources = tuple(raw.get("from") or ())
        unknown = [s for s in sources if s not in SECTIONS]
        if unknown:
            raise TemplateError(f"{where}: {unknown[0]!r} is not a note section "
                                f"({', '.join(SECTIONS)})")
        if bool(sources) == ("text" in raw):
            raise TemplateError(f"{where}: give either 'from' or 'text'")
        style = raw.get("style", "as_is")
        if style not in STYLES:
            raise TemplateError(f"{where}: style is one of {', '.join(STYLES)}")
        sections.append(SectionSpec(str(raw.get("heading", "")), sources, raw.get("text"),
                                    style, raw.get("empty"), bool(raw.get("consent"))))
    if not sections:
        raise TemplateError(f"{path.name}: no [[sections]]")
    return Template(path.name, str(data.get("kind", path.stem)), str(data.get("title", "")),
                    str(data.get("greeting", "")), str(data.get("closing", "")),
                    str(data.get("audience", "")), tuple(sections))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: Mapping[str, str]) -> str:
    """Placeholders filled; unknown ones and stray braces are left as they are."""
    try:
        return string.Formatter().vformat(text, (), _Blank(values))
    except (ValueError, IndexError):
        return text


def placeholders(note: Mapping[str, Any], to: str | None) -> dict[str, str]:
    attendees = note.get("attendees") or []
    worker = next((a for a in attendees if WORKER_ROLES.search(a.get("role") or "")), None)
    person = next((a for a in attendees if a is not worker), None)
    return {"person": person["name"] if person else "you",
            "worker": worker["name"] if worker else "your social worker",
            "worker_role": (worker.get("role") or "social worker").capitalize()
            if worker else "Social worker",
            "date": readable_date(note.get("date")) or "our meeting",
            "to": to or "", "title": str(note.get("title") or "")}


@dataclass
class DocumentDraft:
    """What drafting a document needs; ``drafter``/``checker`` None: the note's words only."""

    note: Mapping[str, Any]
    segments: Sequence[Segment]
    drafter: Drafter | None
    checker: Checker | None

    def __post_init__(self) -> None:
        self.by_id = {s.segment_id: s for s in self.segments}
        self.speakers = {a["speaker"]: Person(a["name"], a.get("role") or "")
                         for a in self.note.get("attendees") or []}
        self.unsupported: list[str] = []
        self.rewrites_left = MAX_REWRITES

    def build(self, template: Template, kind: str, to: str | None) -> dict[str, Any]:
        values = placeholders(self.note, to)
        sections = []
        for spec in template.sections:
            section = self._section(spec, template, values)
            if section is not None:
                sections.append(section)
        return {"id": "d_" + secrets.token_hex(6), "kind": kind, "to": to,
                "meeting_id": self.note.get("meeting_id"),
                "title": fill(template.title, values),
                "greeting": fill(template.greeting, values),
                "sections": sections, "closing": fill(template.closing, values),
                "unsupported": list(dict.fromkeys(self.unsupported)),
                "template": template.name,
                "model": self.drafter.model_name if self.drafter else None,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}

    def _section(self, spec: SectionSpec, template: Template, values: Mapping[str, str]
                 ) -> dict[str, Any] | None:
        heading = fill(spec.heading, values)
        if spec.text is not None:
            return {"heading": heading, "text": fill(spec.text, values), "evidence": []}
        items = [(source, item) for source in spec.sources for item in self.note[source]]
        items = list({item["text"]: (s, item) for s, item in items}.values())  # no repeats
        lines: list[str] = []
        evidence: list[str] = []
        if spec.style == "summary" and items:
            text, cited = self._summary(items, template, values)
            lines.append(text)
            evidence += cited
        else:
            for source, item in items:
                text = item_line(source, item)
                if spec.style == "plain":
                    text = self._rewrite(source, item, template, values)
                lines.append(text)
                evidence += item.get("evidence") or []
        if spec.consent:
            consent = self._consent_lines()
            lines += [text for text, _ in consent] or [NO_CONSENT_TEXT]
            evidence += [sid for _, sid in consent]
        if not lines:
            if spec.empty is None:
                return None
            lines = [fill(spec.empty, values)]
        return {"heading": heading, "text": "\n".join(lines),
                "evidence": list(dict.fromkeys(evidence))}

    # -- the model's words, checked ----------------------------------------------------------

    def _ask(self, instruction: str, body: str, max_tokens: int) -> str | None:
        if self.drafter is None:
            return None
        messages = ({"role": "system", "content": instruction},
                    {"role": "user", "content": body})
        reply = self.drafter.draft(DraftRequest(messages, REWRITE_SCHEMA, max_tokens,
                                                urgent=True))
        parsed = parse_json_prefix(reply.text)
        text = parsed.get("text") if isinstance(parsed, dict) else None
        text = " ".join(str(text or "").split())
        return text or None

    def _supported(self, text: str, evidence: Sequence[str]) -> bool:
        if self.checker is None:
            return False
        _, problem = self.checker.check(DraftItem("discussion", text, tuple(evidence)),
                                        self.by_id, self.speakers)
        return problem is None

    def _checked(self, text: str, evidence: Sequence[str]) -> str | None:
        """The sentences of ``text`` the evidence supports (None if none is); each one it
        does not support is set aside for the worker."""
        kept = []
        for sentence in SENTENCE_END.split(text):
            if not sentence.strip():
                continue
            if self._supported(sentence, evidence):
                kept.append(sentence.strip())
            else:
                self.unsupported.append(sentence.strip())
        return " ".join(kept) or None

    def _rewrite(self, source: str, item: Mapping[str, Any], template: Template,
                 values: Mapping[str, str]) -> str:
        original = item_line(source, item)
        evidence = item.get("evidence") or []
        if not evidence:
            return original  # the worker's own statement: their words stand
        if self.drafter is None or self.rewrites_left <= 0:
            return original
        self.rewrites_left -= 1
        instruction = (
            "You rewrite one line of a social worker's case note for a letter. The reader is "
            f"{fill(template.audience, values)}. The person visited is "
            f"{values['person']}; the social worker is {values['worker']} ('I' in the "
            "letter). Keep every name, number and date. Add nothing that is not in the "
            'line. Answer with JSON: {"text": "..."}, one or two short sentences.')
        rewrite = self._ask(instruction, f"Line: {original}", REWRITE_TOKENS)
        if rewrite is None or rewrite == original:
            return original
        return self._checked(rewrite, evidence) or original

    def _summary(self, items: Sequence[tuple[str, Mapping[str, Any]]], template: Template,
                 values: Mapping[str, str]) -> tuple[str, list[str]]:
        cited = [sid for _, item in items for sid in item.get("evidence") or []]
        fallback = " ".join(item_line(source, item) for source, item in items)
        lines = "\n".join(f"- {item_line(source, item)}" for source, item in items)
        instruction = (
            "You write the reason for a referral from lines of a social worker's case note. "
            f"The reader is {fill(template.audience, values)}. Use only what the lines "
            "say; keep names, numbers and dates. Answer with JSON: {\"text\": \"...\"}, "
            "one or two sentences.")
        summary = self._ask(instruction, f"Lines:\n{lines}", SUMMARY_TOKENS)
        if summary is None:
            return fallback, cited
        return (self._checked(summary, cited) if cited else None) or fallback, cited

    def _consent_lines(self) -> list[tuple[str, str]]:
        """What the people visited said about agreeing, quoted with who said it and when
        (the worker's own lines are questions or explanations, not consent)."""
        workers = {label for label, p in self.speakers.items() if WORKER_ROLES.search(p.role)}
        found = []
        for seg in self.segments:
            if seg.speaker not in workers and CONSENT.search(seg.text):
                person = self.speakers.get(seg.speaker)
                who = person.name if person and person.name else seg.speaker
                found.append((f"{who} said at {clock(seg.start_s)}: \u201c{seg.text}\u201d",
                              seg.segment_id))
        return found


def validate_request(body: Any) -> tuple[str, str | None]:
    """``(kind, to)`` from a POST body; ``ValueError`` says what is wrong."""
    if not isinstance(body, dict):
        raise ValueError('send {"kind": "letter"} or {"kind": "referral", "to": "housing"}')
    kind = body.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind is one of {', '.join(KINDS)}")
    to = body.get("to")
    if to is not None and (not isinstance(to, str) or not to.strip()):
        raise ValueError("'to' must be the name of a service, e.g. \"housing\"")
    to = " ".join(to.split())[:MAX_TO_CHARS] if to else None
    if kind == "referral" and not to:
        raise ValueError("a referral needs 'to': the service it goes to, e.g. \"housing\"")
    return kind, to


def validate_edit(body: Any, current: Mapping[str, Any]) -> dict[str, Any]:
    """The worker's edit of a document: sections (heading, text, evidence kept from the
    draft's ids), greeting, closing, title, unsupported."""
    if not isinstance(body, dict) or not isinstance(body.get("sections"), list):
        raise ValueError("send the document with its 'sections'")
    known = {sid for s in current["sections"] for sid in s.get("evidence") or []}
    sections = []
    for i, raw in enumerate(body["sections"], 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            raise ValueError(f"section {i}: give 'heading' and 'text'")
        evidence = raw.get("evidence") or []
        if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
            raise ValueError(f"section {i}: 'evidence' is a list of segment ids")
        unknown = [e for e in evidence if e not in known]
        if unknown:
            raise ValueError(f"section {i}: {unknown[0]!r} is not evidence of this document")
        sections.append({"heading": str(raw.get("heading") or ""), "text": raw["text"],
                         "evidence": evidence})
    edited = dict(current)
    edited["sections"] = sections
    for key in ("title", "greeting", "closing"):
        if isinstance(body.get(key), str):
            edited[key] = body[key]
    if isinstance(body.get("unsupported"), list):
        edited["unsupported"] = [str(u) for u in body["unsupported"]]
    edited["edited_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return edited


def document_markdown(doc: Mapping[str, Any]) -> str:
    out = [f"# {doc.get('title') or doc.get('kind', 'Document').capitalize()}", ""]
    if doc.get("greeting"):
        out += [doc["greeting"], ""]
    for section in doc.get("sections") or []:
        if section.get("heading"):
            out += [f"## {section['heading']}", ""]
        out += [section.get("text", ""), ""]
    if doc.get("closing"):
        out += [doc["closing"], ""]
    return "\n".join(out)


def document_docx(doc: Mapping[str, Any]) -> bytes:
    import io

    from docx import Document

    word = Document()
    word.core_properties.title = str(doc.get("title") or "")
    word.core_properties.author = "casenote"
    word.add_heading(str(doc.get("title") or doc.get("kind", "")), level=1)
    if doc.get("greeting"):
        word.add_paragraph(str(doc["greeting"]))
    for section in doc.get("sections") or []:
        if section.get("heading"):
            word.add_heading(str(section["heading"]), level=2)
        for paragraph in str(section.get("text", "")).split("\n"):
            word.add_paragraph(paragraph)
    if doc.get("closing"):
        for paragraph in str(doc["closing"]).split("\n"):
            word.add_paragraph(paragraph)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()
