"""/docs and /redoc as a person sees them: `rapport serve` (its own process, as operators run
it) in headless Chromium driven by playwright-core (tests/js/docs-check.mjs). No console
error, no request leaves the machine, Authorize takes a secret key, "Try it out" → Execute
on GET /v1/prompts gets a 200, and ReDoc renders every operation.

The screenshot is kept with the test's files; `UPDATE_SCREENSHOTS=1` also refreshes
docs/images/docs-page.png, which the README shows."""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.db import make_engine, session_scope
from app.core.migrations import ROOT
from tests.conftest import _settings, served
from tests.factories import make_tenant
from tests.node_tools import JS_DIR, chromium, missing, node

SCREENSHOT = ROOT / "docs" / "images" / "docs-page.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.slow


def test_docs_pages_in_chromium(fresh_database: Callable[[], str], tmp_path: Path) -> None:
    chromium()
    runner = node()
    if not (JS_DIR / "node_modules" / "playwright-core").exists():
        missing("playwright-core is not installed: run `npm ci --prefix tests/js`")
    settings = _settings(fresh_database(), tmp_path)
    shot = tmp_path / "docs-page.png"
    with served(settings, LOAD_CONTENT_ON_START="true") as (base_url, _server):
        engine = make_engine(settings)
        with session_scope(engine) as session:
            secret = make_tenant(session, settings, name="Docs reader").test_secret
        engine.dispose()
        result = subprocess.run(
            [runner, str(JS_DIR / "docs-check.mjs"), base_url, secret, str(shot)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=JS_DIR,
        )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert "error" not in seen, seen["error"]

    docs, redoc = seen["docs"], seen["redoc"]
    assert docs["status"] == 200 and docs["title"].startswith("Rapport API")
    assert docs["operations"] >= 39
    assert docs["consoleErrors"] == [] and docs["failedRequests"] == []
    assert docs["authorized"] is True
    assert docs["executeStatus"] == "200"
    assert json.loads(docs["responseBody"])["data"], "the built-in prompts are listed"

    assert redoc["status"] == 200
    assert redoc["consoleErrors"] == [] and redoc["failedRequests"] == []
    assert redoc["operations"] == docs["operations"]
    assert "Create a check-in" in redoc["headings"]

    assert shot.read_bytes().startswith(PNG_SIGNATURE)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOT)


def test_docs_pages_load_nothing_from_elsewhere(settings: Settings, tmp_path: Path) -> None:
    """Without a browser: every script, style and icon the pages name is served here."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(settings)) as client:
        for page in ("/docs", "/redoc"):
            html = client.get(page).text
            assets = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert assets and all(a.startswith("/docs/assets/") for a in assets), assets
            for asset in assets:
                response = client.get(asset)
                assert response.status_code == 200, asset
                assert b"https://cdn." not in response.content, asset
