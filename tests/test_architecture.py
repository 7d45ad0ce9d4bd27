"""The layer contract of pyproject.toml holds: dependencies point inward only."""

import shutil
import subprocess
import sys
from pathlib import Path


def test_domain_and_application_import_no_frameworks_and_layers_point_inward():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([lint], cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout
