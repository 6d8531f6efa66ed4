"""The benchmark stays runnable: `python -m bench --quick` runs every scenario for a second
on a tiny SQLite database (the real one takes half an hour and is not part of the suite)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.migrations import ROOT
from tests.conftest import _free_port


@pytest.mark.skipif(
    shutil.which("wrk") is None or shutil.which("taskset") is None,
    reason="wrk and taskset drive the benchmark (Debian: wrk, util-linux); .ci/run installs them",
)
def test_quick_benchmark_runs_every_scenario(tmp_path: Path) -> None:
    output = tmp_path / "benchmarks.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--port", str(_free_port()), "--output", output],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    report = json.loads(Path(summary["json"]).read_text())
    [engine] = report["engines"]
    scenarios = engine["workers"]["1"]
    assert set(scenarios) == {
        "healthz",
        "prompts",
        "check_in",
        "connection",
        "floor_read",
        "floor_insert",
        "floor_window",
    }
    for name, numbers in scenarios.items():
        assert numbers["rps"] > 0, name
        assert numbers["non_2xx"] == 0 and numbers["socket_errors"] == 0, name
    assert engine["scaling"]["large"]["check_ins"] > engine["scaling"]["small"]["check_ins"]
    assert engine["memory"]["workers"][0]["rss_end_mb"] > 0
    table = output.read_text()
    assert "### Targets" in table and "`GET /v1/prompts?limit=20` ÷ `/healthz`" in table
