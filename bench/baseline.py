"""An older commit of the service, served next to the current one, for before/after ratios measured in one run.

``checkout(commit)`` extracts the commit's tree under var/baseline-<commit>/ (``git archive``, no worktree)
and adds ``bench_baseline.py``, an app factory that does not refuse the bench database for being migrated
further than the old code knows (the newer revisions only add what the old code does not read).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# main before the fast paths of issue 11.
DEFAULT_COMMIT = "48a22e7"
FACTORY = "bench_baseline:app"

_FACTORY_SOURCE = '''"""Written by bench/baseline.py: the old app, without its migration check."""
import logging

from app.asgi import create_app
from app.settings import load_settings


def app():
    logging.basicConfig(level=load_settings().log_level)
    return create_app(check_migrations=False)
'''


def checkout(commit: str = DEFAULT_COMMIT) -> Path:
    target = ROOT / "var" / f"baseline-{commit}"
    if not (target / "app").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    (target / "bench_baseline.py").write_text(_FACTORY_SOURCE, encoding="utf-8")
    return target
