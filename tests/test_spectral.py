"""The committed OpenAPI document passes Spectral's OpenAPI ruleset (.spectral.yaml): no
error, and no warning either (each rule turned off there says why)."""

import json
import subprocess

from app.core.migrations import ROOT
from tests.node_tools import tool

SEVERITIES = ("error", "warning", "info", "hint")
SPEC = ROOT / "openapi" / "openapi.json"
RULESET = ROOT / ".spectral.yaml"


def test_spectral_finds_nothing() -> None:
    spectral = tool("spectral")
    result = subprocess.run(
        [
            str(spectral),
            "lint",
            str(SPEC),
            "--ruleset",
            str(RULESET),
            "--format",
            "json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    findings = json.loads(result.stdout)
    report = [
        f"{SEVERITIES[f['severity']]} {f['code']}: {f['message']} "
        f"at {'.'.join(map(str, f['path']))}"
        for f in findings
    ]
    assert report == []
    assert result.returncode == 0, result.stderr
