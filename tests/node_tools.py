"""The Node tools some tests drive (tests/js: `npm ci --prefix tests/js`, which .ci/run does),
found or skipped with the reason and the command that installs them. Under CI (`CI=true`),
where .ci/run has installed them, a missing tool fails instead: nothing skips unseen there."""

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

from app.core.migrations import ROOT

JS_DIR = ROOT / "tests" / "js"
BIN = JS_DIR / "node_modules" / ".bin"
CHROMIUM = "/usr/bin/chromium"


def missing(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; .ci/run should have installed it")
    pytest.skip(reason)


def node() -> str:
    found = shutil.which("node")
    if found is None:
        missing("node is not installed (apt-get install nodejs npm)")
    return found


def tool(name: str) -> Path:
    """A binary from tests/js/node_modules, or skip saying how to install it."""
    node()
    path = BIN / name
    if not path.exists():
        missing(f"{name} is not installed: run `npm ci --prefix tests/js`")
    return path


def chromium() -> str:
    if shutil.which("chromium") is None or not Path(CHROMIUM).exists():
        missing("Chromium is not installed (apt-get install chromium chromium-driver)")
    return CHROMIUM
