"""A drafter on the user's own ollama server, through the official ``ollama`` client.

The host comes from the argument, else ``OLLAMA_HOST`` (the client's own default otherwise:
http://127.0.0.1:11434); the model is configured by name (e.g. ``qwen2.5:7b``). The draft
schema goes to the server as ``format=``, so its grammar constrains the output there.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from server.notes.drafting import DraftReply, DraftRequest

DEFAULT_TIMEOUT_S = 300.0
_NOT_FOUND = 404


class OllamaError(RuntimeError):
    """The ollama server or model cannot be used; the message says what to do."""


class OllamaDrafter:
    def __init__(self, model: str, host: str | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S, check: bool = True) -> None:
        try:
            import httpx
            import ollama
        except ImportError as exc:
            raise OllamaError("the ollama drafter needs the ollama client "
                              "(pip install 'ollama==0.6.3')") from exc
        self._ollama, self._httpx = ollama, httpx
        self.host = host or os.environ.get("OLLAMA_HOST") or "http://127.0.0.1:11434"
        self.model = model
        self.model_name = f"ollama:{model}"
        self._client = ollama.Client(host=self.host, timeout=timeout_s)
        if check:
            self.check()

    def check(self) -> None:
        """Fail now, clearly, if the server is unreachable or lacks the model."""
        self._call(lambda: self._client.show(self.model))

    def draft(self, request: DraftRequest) -> DraftReply:
        started = time.monotonic()
        response: Any = self._call(lambda: self._client.chat(
            model=self.model, messages=list(request.messages), format=request.schema,
            options={"temperature": 0, "num_predict": request.max_tokens}, stream=False))
        text = response.message.content or ""
        stopped = response.done_reason == "length" or not _complete_json(text)
        total_s = time.monotonic() - started
        prompt_s = (response.prompt_eval_duration or 0) / 1e9
        return DraftReply(text, response.prompt_eval_count or 0, 0, response.eval_count or 0,
                          prompt_s, max(0.0, total_s - prompt_s), stopped)

    def _call(self, call: Any) -> Any:
        try:
            return call()
        except ConnectionError as exc:
            raise OllamaError(f"cannot reach the ollama server at {self.host}; start it "
                              "(ollama serve) or set OLLAMA_HOST to where it runs") from exc
        except self._httpx.TimeoutException as exc:
            raise OllamaError(f"the ollama server at {self.host} did not answer in time") from exc
        except self._ollama.ResponseError as exc:
            if exc.status_code == _NOT_FOUND:
                raise OllamaError(f"the ollama server at {self.host} has no model "
                                  f"{self.model!r}; fetch it with: ollama pull {self.model}"
                                  ) from exc
            raise OllamaError(f"ollama at {self.host} failed: {exc.error} "
                              f"(HTTP {exc.status_code})") from exc


def _complete_json(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True
