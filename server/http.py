"""Small helpers every HTTP endpoint shares: the app state, JSON errors, bounded JSON bodies."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from server.state import AppState

MAX_BODY_BYTES = 64 * 1024


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.casenote
    return state


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def json_body(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    """The parsed body; ``ValueError`` with a message for the client if it is not JSON."""
    body = await request.body()
    if len(body) > limit:
        raise ValueError(f"the body is over {limit} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise ValueError("the body must be JSON") from None
