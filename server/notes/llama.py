"""The in-process drafter: a GGUF model run by llama.cpp through cyllama.

cyllama ships a prebuilt CPU wheel (no compiler needed); llama-cpp-python has no wheel and
must be compiled (MODELS.md). One ``LlamaDrafter`` holds one model and one context and
serves one call at a time (a lock makes a second caller wait). The context keeps its KV
cache between calls: the next prompt reuses the longest common token prefix (the system
prompt at least), so each chunk pays only for its own lines.

Output follows ``DRAFT_SCHEMA`` through the guided writer (``guided.py``); any other schema
goes through llama.cpp's GBNF grammar sampler, which is correct but about half as fast.

Threads: ggml's worker threads spin while they wait for each other, so when captions keep
the other core busy two threads ran ten times slower than one (0.7 against 7 tokens/s here).
Background drafting therefore uses ``live_threads`` (1); an urgent draft (at stop, when
the recogniser has finished) uses ``final_threads``, and only as many of them as the
machine has idle cores just before the call (``server.cpu``): other programs spin too.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from server.cpu import idle_cores, threads_for
from server.notes.drafting import DraftReply, DraftRequest
from server.notes.guided import DraftWriter, VocabTables
from server.notes.schema import DRAFT_SCHEMA

DEFAULT_CONTEXT_TOKENS = 4096
PROMPT_BATCH_TOKENS = 128    # prompt decoded in batches this size; should_stop polled between


class LlamaError(RuntimeError):
    """The GGUF runtime or model cannot be used; the message says what to do."""


def _runtime() -> Any:
    try:
        from cyllama.llama import llama_cpp
    except ImportError as exc:
        raise LlamaError("the in-process note drafter needs cyllama "
                         "(pip install 'cyllama==0.2.18')") from exc
    return llama_cpp


def _model_class(rt: Any) -> Any:
    class _Model(rt.LlamaModel):  # type: ignore[misc, name-defined]
        # cyllama 0.2.18's LlamaContext.get_logits*() read ``model.n_vocab``, which its
        # LlamaModel lacks (AttributeError); the vocabulary knows it.
        @property
        def n_vocab(self) -> int:
            return int(self.get_vocab().n_vocab)

    return _Model


class LlamaDrafter:
    def __init__(self, model_path: Path, model_name: str, live_threads: int = 1,
                 final_threads: int = 2,
                 context_tokens: int = DEFAULT_CONTEXT_TOKENS) -> None:
        rt = _runtime()
        self._rt = rt
        self.model_name = model_name
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise LlamaError(f"no GGUF model at {self.model_path}")
        rt.disable_logging()
        rt.ggml_backend_load_all()
        params = rt.LlamaModelParams()
        params.n_gpu_layers = 0
        self._model = _model_class(rt)(str(self.model_path), params)
        self._vocab = self._model.get_vocab()
        ctx_params = rt.LlamaContextParams()
        ctx_params.n_ctx = context_tokens
        ctx_params.n_batch = PROMPT_BATCH_TOKENS
        ctx_params.n_threads = ctx_params.n_threads_batch = live_threads
        self._ctx = rt.LlamaContext(self._model, ctx_params)
        self._threads = {False: live_threads, True: final_threads}
        self._context_tokens = context_tokens
        self._cached: list[int] = []          # tokens whose KV is in the context, in order
        self._tables: VocabTables | None = None
        self._grammars: dict[str, str] = {}
        self._lock = threading.Lock()

    def prompt_text(self, messages: tuple[dict[str, str], ...]) -> str:
        chat = [self._rt.LlamaChatMessage(role=m["role"], content=m["content"]) for m in messages]
        return str(self._model.chat_apply_template(None, chat, True))

    def tokens(self, text: str, special: bool = True) -> list[int]:
        return list(self._vocab.tokenize(text, add_special=special, parse_special=special))

    def set_urgent_threads(self, threads: int) -> None:
        """Threads for urgent drafts (at stop): 2 when nothing else needs the cores."""
        self._threads[True] = max(1, threads)

    def draft(self, request: DraftRequest) -> DraftReply:
        with self._lock:
            threads = self._threads[request.urgent]
            if threads > 1:   # measured while this model is not running
                threads = threads_for(threads, idle_cores())
            self._ctx.set_n_threads(threads, threads)
            return self._draft(request)

    def _draft(self, request: DraftRequest) -> DraftReply:
        prompt = self.tokens(self.prompt_text(request.messages))
        if len(prompt) + request.max_tokens > self._context_tokens:
            raise LlamaError(f"prompt of {len(prompt)} tokens does not fit the context of "
                             f"{self._context_tokens}; draft smaller chunks")
        started = time.monotonic()
        cached = self._prefill(prompt, request)
        prompt_s = time.monotonic() - started
        if cached < 0:
            return DraftReply("", len(prompt), 0, 0, prompt_s, 0.0, True)
        if request.schema == DRAFT_SCHEMA and request.n_lines > 0:
            text, generated, stopped = self._guided(request)
        else:
            text, generated, stopped = self._grammar(len(prompt), request)
        return DraftReply(text, len(prompt), cached, generated, prompt_s,
                          time.monotonic() - started - prompt_s, stopped)

    def _prefill(self, prompt: list[int], request: DraftRequest) -> int:
        """Decode the part of ``prompt`` not already cached; -1 if stopped before the end."""
        keep = 0
        limit = min(len(self._cached), len(prompt) - 1)   # the last token is always decoded
        while keep < limit and self._cached[keep] == prompt[keep]:
            keep += 1
        self._ctx.memory_seq_rm(-1, keep, -1)
        self._cached = prompt[:keep]
        for start in range(keep, len(prompt), PROMPT_BATCH_TOKENS):
            if request.should_stop():
                return -1
            self._feed(prompt[start:start + PROMPT_BATCH_TOKENS], logits=False)
        return keep

    def _feed(self, tokens: list[int], logits: bool = True) -> np.ndarray:
        self._ctx.decode(self._rt.llama_batch_get_one(tokens, len(self._cached)))
        self._cached.extend(tokens)
        if not logits:
            return np.empty(0, dtype=np.float32)
        return np.asarray(self._ctx.get_logits_ith(-1), dtype=np.float32)

    def _vocab_tables(self) -> VocabTables:
        if self._tables is None:
            n = self._vocab.n_vocab
            pieces = []
            for i in range(n):
                try:
                    pieces.append(self._vocab.token_to_piece(i, special=False))
                except UnicodeDecodeError:
                    pieces.append("")
            self._tables = VocabTables.build(pieces, [self._vocab.is_control(i) for i in range(n)])
        return self._tables

    def _guided(self, request: DraftRequest) -> tuple[str, int, bool]:
        writer = DraftWriter(
            self._vocab_tables(), self._feed, lambda text: self.tokens(text, special=False),
            lambda toks: str(self._vocab.detokenize(toks, 4096)),
            np.asarray(self._ctx.get_logits_ith(-1), dtype=np.float32), request.n_lines,
            request.max_tokens, request.should_stop, request.max_items)
        text, stopped = writer.write()
        return text, writer.sampled, stopped

    def _grammar(self, position: int, request: DraftRequest) -> tuple[str, int, bool]:
        key = json.dumps(request.schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = self._rt.json_schema_to_grammar(request.schema)
        sampler = self._rt.LlamaSampler(self._rt.LlamaSamplerChainParams())
        sampler.add_grammar(self._vocab, self._grammars[key], "root")
        sampler.add_greedy()
        pieces: list[str] = []
        for _ in range(request.max_tokens):
            if request.should_stop():
                return "".join(pieces), len(pieces), True
            token = sampler.sample(self._ctx, -1)
            if self._vocab.is_eog(token):
                return "".join(pieces), len(pieces), False
            pieces.append(self._vocab.token_to_piece(token, special=False))
            self._feed([token], logits=False)
        return "".join(pieces), len(pieces), True

    def close(self) -> None:
        self._ctx.close()
        self._model.close()
