"""The case note as Markdown and Word (.docx), with each item's transcript evidence.

Evidence is printed as the time and speaker of each cited line ("00:42 Sarah"), so a
reader of the exported note can find what it rests on in the transcript export.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import Any

from server.store import SegmentRow

HEADINGS: dict[str, str] = {
    "purpose": "Purpose",
    "discussion": "Discussion",
    "voice_of_person": "The person's views",
    "observations": "Observations",
    "risks": "Risks",
    "actions": "Actions",
    "next_steps": "Next steps",
}
UNSUPPORTED_HEADING = "Not supported by the transcript (check before use)"
WORKER_STATEMENT = "worker's statement"


def clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return (f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours
            else f"{rest // 60:02d}:{rest % 60:02d}")


def _names(note: Mapping[str, Any]) -> dict[str, str]:
    return {a["speaker"]: a["name"] for a in note.get("attendees") or [] if a.get("name")}


def evidence_text(ids: Sequence[str], segments: Mapping[str, SegmentRow],
                  names: Mapping[str, str]) -> str:
    if not ids:
        return WORKER_STATEMENT
    refs = []
    for sid in ids:
        seg = segments.get(sid)
        if seg is None:
            refs.append(sid)
            continue
        who = names.get(seg.speaker) or seg.speaker
        refs.append(f"{clock(seg.start_s)} {who}".strip())
    return "transcript " + ", ".join(refs)


def item_line(section: str, item: Mapping[str, Any]) -> str:
    text = str(item.get("text", "")).strip()
    if section == "risks":
        return f"{str(item.get('severity', 'medium')).capitalize()} risk: {text}"
    if section == "actions":
        owner = item.get("owner") or "owner not agreed"
        due = readable_date(item.get("due")) or "no date agreed"
        return f"{text} (who: {owner}; by: {due})"
    return text


def readable_date(value: Any) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)).strftime("%A %-d %B %Y")
    except ValueError:
        return str(value)


def _header_lines(note: Mapping[str, Any], version: str) -> list[str]:
    minutes = round(float(note.get("duration_s") or 0) / 60)
    lines = [f"Date: {readable_date(note.get('date')) or 'unknown'}",
             f"Length: {minutes} min"]
    attendees = [f"{a['name']}" + (f" ({a['role']})" if a.get("role") else "")
                 + (" [name suggested, not confirmed]" if a.get("suggested") else "")
                 for a in note.get("attendees") or []]
    if attendees:
        lines.append("Present: " + "; ".join(attendees))
    state = "edited by the worker" if version == "edited" else "draft, not yet checked"
    lines.append(f"Drafted by casenote ({note.get('model', '?')}); {state}.")
    return lines


def note_markdown(note: Mapping[str, Any], segments: Sequence[SegmentRow],
                  version: str = "draft") -> str:
    by_id = {s.segment_id: s for s in segments}
    names = _names(note)
    out = [f"# {note.get('title') or 'Meeting'}: case note", ""]
    out += [f"{line}  " for line in _header_lines(note, version)] + [""]
    for section, heading in HEADINGS.items():
        items = note.get(section) or []
        out += [f"## {heading}", ""]
        if not items:
            out += ["None recorded.", ""]
            continue
        for item in items:
            refs = evidence_text(item.get("evidence") or [], by_id, names)
            out.append(f"- {_md(item_line(section, item))} _[{refs}]_")
        out.append("")
    unsupported = note.get("unsupported") or []
    if unsupported:
        out += [f"## {UNSUPPORTED_HEADING}", ""]
        out += [f"- {_md(str(text))}" for text in unsupported] + [""]
    return "\n".join(out)


def _md(text: str) -> str:
    """Text as literal Markdown: no markup from what was said or typed."""
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


def note_docx(note: Mapping[str, Any], segments: Sequence[SegmentRow],
              version: str = "draft") -> bytes:
    from docx import Document
    from docx.shared import Pt, RGBColor

    by_id = {s.segment_id: s for s in segments}
    names = _names(note)
    doc = Document()
    doc.core_properties.title = f"{note.get('title') or 'Meeting'}: case note"
    doc.core_properties.author = "casenote"
    doc.add_heading(f"{note.get('title') or 'Meeting'}: case note", level=1)
    for line in _header_lines(note, version):
        doc.add_paragraph(line)
    for section, heading in HEADINGS.items():
        doc.add_heading(heading, level=2)
        items = note.get(section) or []
        if not items:
            doc.add_paragraph("None recorded.")
        for item in items:
            para = doc.add_paragraph(item_line(section, item), style="List Bullet")
            refs = para.add_run(f"  [{evidence_text(item.get('evidence') or [], by_id, names)}]")
            refs.font.size = Pt(8)
            refs.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    unsupported = note.get("unsupported") or []
    if unsupported:
        doc.add_heading(UNSUPPORTED_HEADING, level=2)
        for text in unsupported:
            doc.add_paragraph(str(text), style="List Bullet")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
