import hashlib
import importlib
import sys

import pytest

from server.modelstore import ModelError, ModelStore, resolve_whisper_model


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def parts(tmp_path, monkeypatch):
    """Two tiny installed 'packages' carrying halves of one model file."""
    site = tmp_path / "site"
    for module, blob in (("cn_fake_part_a", b"first half|"), ("cn_fake_part_b", b"second half")):
        (site / module / "data").mkdir(parents=True)
        (site / module / "__init__.py").write_text("")
        (site / module / "data" / "model.bin.part").write_bytes(blob)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield site
    for module in ("cn_fake_part_a", "cn_fake_part_b"):
        sys.modules.pop(module, None)


def manifest(part_a=b"first half|", part_b=b"second half"):
    whole = part_a + part_b
    return {"tiny": {
        "kind": "faster-whisper", "licence": "MIT",
        "sources": [{"package": "cn-fake-part-a", "version": "1.0", "module": "cn_fake_part_a"},
                    {"package": "cn-fake-part-b", "version": "2.0", "module": "cn_fake_part_b"}],
        "files": {"model.bin": {"size": len(whole), "sha256": sha(whole), "parts": [
            {"module": "cn_fake_part_a", "path": "data/model.bin.part", "sha256": sha(part_a)},
            {"module": "cn_fake_part_b", "path": "data/model.bin.part", "sha256": sha(part_b)},
        ]}}}}


def test_parts_are_assembled_once_and_verified(parts, tmp_path):
    store = ModelStore(tmp_path / "cache", manifest())
    folder = store.path("tiny")
    assert (folder / "model.bin").read_bytes() == b"first half|second half"
    mtime = (folder / "model.bin").stat().st_mtime_ns
    assert store.path("tiny") == folder
    assert (folder / "model.bin").stat().st_mtime_ns == mtime  # not assembled again
    status = store.status("tiny")
    assert status.verified and status.packages == ("cn-fake-part-a==1.0", "cn-fake-part-b==2.0")


def test_corrupt_part_names_its_package(parts, tmp_path):
    (parts / "cn_fake_part_b" / "data" / "model.bin.part").write_bytes(b"second hal!")
    store = ModelStore(tmp_path / "cache", manifest())
    with pytest.raises(ModelError, match=r"cn-fake-part-b==2\.0.*corrupt"):
        store.path("tiny")
    assert not (tmp_path / "cache" / "models" / "tiny" / "model.bin").exists()


def test_missing_package_is_named_with_install_hint(tmp_path):
    store = ModelStore(tmp_path / "cache", manifest())
    with pytest.raises(ModelError, match=r"cn-fake-part-a==1\.0 is not installed"):
        store.path("tiny")
    assert not store.status("tiny").verified


def test_tampered_cache_is_rebuilt(parts, tmp_path):
    store = ModelStore(tmp_path / "cache", manifest())
    target = store.path("tiny") / "model.bin"
    target.write_bytes(b"tampered!!!!!!!!!!!!!!")
    store.path("tiny")
    assert target.read_bytes() == b"first half|second half"


def test_model_spec_resolution(parts, tmp_path):
    store = ModelStore(tmp_path / "cache", manifest())
    assert resolve_whisper_model("tiny", store, allow_hub=False).endswith("tiny")
    folder = tmp_path / "my-model"
    folder.mkdir()
    with pytest.raises(ModelError, match="no model.bin"):
        resolve_whisper_model(str(folder), store, allow_hub=False)
    (folder / "model.bin").write_bytes(b"x")
    assert resolve_whisper_model(str(folder), store, allow_hub=False) == str(folder)
    with pytest.raises(ModelError, match="CASENOTE_ALLOW_HUB"):
        resolve_whisper_model("Systran/faster-whisper-small", store, allow_hub=False)
    assert resolve_whisper_model("Systran/faster-whisper-small", store, allow_hub=True) == \
        "Systran/faster-whisper-small"


def test_the_real_manifest_lists_sources_licences_and_hashes():
    store = ModelStore(__import__("pathlib").Path("/nonexistent"))
    assert {"whisper-base", "whisper-tiny.en", "silero-vad"} <= set(store.names())
    for name in store.names():
        spec = store.manifest[name]
        assert spec["licence"] and spec["sources"]
        for meta in spec["files"].values():
            assert len(meta["sha256"]) == 64
            assert all(len(p["sha256"]) == 64 for p in meta["parts"])


def test_a_missing_optional_model_is_listed_without_failing(parts, tmp_path, monkeypatch,
                                                           capsys):
    from server import cli, modelstore

    models = manifest()
    models["bigger"] = dict(models["tiny"], optional=True, sources=[
        {"package": "cn-fake-absent", "version": "1.0", "module": "cn_fake_absent"}],
        files={"model.bin": {"size": 1, "sha256": "0" * 64, "parts": [
            {"module": "cn_fake_absent", "path": "data/x", "sha256": "0" * 64}]}})
    monkeypatch.setattr(modelstore, "load_manifest", lambda: models)
    settings = __import__("server.settings", fromlist=["Settings"]).Settings(
        model_cache_dir=tmp_path / "cache")
    assert cli.list_models(settings) == 0
    listing = capsys.readouterr().out
    assert "optional" in listing and "cn-fake-absent==1.0" in listing
    (parts / "cn_fake_part_b" / "data" / "model.bin.part").write_bytes(b"second hal!")
    ModelStore(tmp_path / "cache", models).remove("tiny")  # a required model now broken
    assert cli.list_models(settings) == 1
    assert "MISSING" in capsys.readouterr().out
