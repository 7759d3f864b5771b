"""The test tools' install plan (scripts/test-tools.sh): never ask apt for a command that is
already provided, and prove that apt could carry out the plan of a fresh machine.

The npm case is the one that broke a fresh machine: Node.js from another package source
ships its own npm, and Debian's npm conflicts with that nodejs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "test-tools.sh"
BASICS = ("bash", "tr")


def plan_with(tmp_path: Path, commands: tuple[str, ...]) -> subprocess.CompletedProcess:
    """The plan on a PATH that holds only ``commands`` (as stubs) and the shell's basics."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in BASICS:
        found = shutil.which(name)
        if found:
            (bin_dir / name).symlink_to(found)
    for name in commands:
        stub = bin_dir / name
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    return subprocess.run([shutil.which("bash"), str(SCRIPT), "--plan"], text=True,
                          capture_output=True, env={"PATH": str(bin_dir)})


def test_a_machine_with_node_and_npm_from_elsewhere_is_never_asked_for_npm(tmp_path):
    done = plan_with(tmp_path, ("node", "npm"))
    assert done.returncode == 0, done.stderr
    packages = done.stdout.split()
    assert "npm" not in packages and "nodejs" not in packages
    assert {"chromium", "sox", "flite", "festival", "openssl"} <= set(packages)


def test_a_tool_already_there_is_not_asked_for(tmp_path):
    done = plan_with(tmp_path, ("node", "npm", "chromium", "sox", "openssl", "flite"))
    packages = done.stdout.split()
    assert "chromium" not in packages and "sox" not in packages and "flite" not in packages
    assert "festival" in packages  # text2wave is still missing


def test_without_node_apt_provides_both(tmp_path):
    packages = plan_with(tmp_path, ()).stdout.split()
    assert "nodejs" in packages and "npm" in packages


def test_node_without_npm_is_explained_not_patched_with_debian_npm(tmp_path):
    done = plan_with(tmp_path, ("node",))
    assert done.returncode != 0
    assert "npm" in done.stderr and "same source as node" in done.stderr


def test_apt_could_install_the_plan_of_a_fresh_machine():
    """``make doctor``: apt-get -s on everything a fresh machine of this kind lacks."""
    done = subprocess.run([str(SCRIPT), "--doctor"], text=True, capture_output=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "would be installed on a fresh machine" in done.stdout
