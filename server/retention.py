"""Retention: meetings older than ``retention_days`` are deleted, checked hourly."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from server.state import AppState

log = logging.getLogger(__name__)

CHECK_EVERY_S = 3600.0


async def purge_expired(state: AppState, now: datetime | None = None) -> list[str]:
    days = state.settings.retention_days
    if days <= 0:
        return []
    now = now or datetime.now(timezone.utc)
    cutoff = (now - timedelta(days=days)).isoformat(timespec="microseconds")
    expired = await asyncio.to_thread(state.store.meetings_created_before, cutoff)
    for meeting_id in expired:
        if state.meetings.get(meeting_id) is None:
            await asyncio.to_thread(state.store.delete_meeting, meeting_id)
    if expired:
        log.info("retention: deleted %d meetings older than %g days", len(expired), days)
    return expired


async def retention_loop(state: AppState) -> None:
    while True:
        try:
            await purge_expired(state)
        except Exception:  # task boundary: report, try again next hour
            log.exception("retention check failed")
        await asyncio.sleep(CHECK_EVERY_S)
