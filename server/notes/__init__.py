"""Case notes: schema, drafting (in process or on ollama), evidence checks, live risk cues.

Drafters are picked by name and imported lazily, so cyllama or the ollama client cost
nothing until chosen. Models come from the model store (``models/manifest.json``),
verified by SHA-256 before first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.notes.drafting import Drafter, RulesDrafter

DEFAULT_GGUF_MODEL = "qwen2.5-coder-0.5b-instruct"
LARGER_GGUF_MODEL = "qwen2.5-coder-1.5b-instruct"


@dataclass(frozen=True)
class DrafterConfig:
    engine: str = "llama"                 # "llama" (in process) or "ollama"
    model: str = DEFAULT_GGUF_MODEL       # llama: manifest name or .gguf path; ollama: model name
    ollama_host: str | None = None        # None: OLLAMA_HOST, else the client's default
    live_threads: int = 1                 # llama threads while the meeting runs
    final_threads: int = 1                # llama threads at stop (2 only on an idle machine)


def _llama(config: DrafterConfig, store: Any) -> Drafter:
    from server.notes.llama import LlamaDrafter

    if config.model in store.manifest:
        path, name = store.file(config.model, "model.gguf"), config.model
    else:
        path, name = Path(config.model).expanduser(), Path(config.model).stem
    return LlamaDrafter(path, name, config.live_threads, config.final_threads)


def _ollama(config: DrafterConfig, store: Any) -> Drafter:
    from server.notes.ollama_drafter import OllamaDrafter

    return OllamaDrafter(config.model, config.ollama_host)


def _rules(config: DrafterConfig, store: Any) -> Drafter:
    return RulesDrafter()


DRAFTERS: dict[str, Callable[[DrafterConfig, Any], Drafter]] = {
    "llama": _llama,
    "ollama": _ollama,
    "rules": _rules,
}


def load_drafter(config: DrafterConfig, store: Any) -> Drafter:
    """The configured drafter; ``store`` is a ``server.modelstore.ModelStore``."""
    try:
        factory = DRAFTERS[config.engine]
    except KeyError:
        raise ValueError(f"unknown note drafter {config.engine!r}; "
                         f"choose one of {', '.join(DRAFTERS)}") from None
    return factory(config, store)
