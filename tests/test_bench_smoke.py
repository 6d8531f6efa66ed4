"""The benchmark scripts stay runnable: a seconds-long run of each, on SQLite."""

import json
import subprocess
import sys

from app.core.migrations import ROOT
from tests.conftest import _free_port


def test_connection_scaling_smoke() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.connection_scaling",
            "--small",
            "400",
            "--large",
            "1200",
            "--seconds",
            "0.3",
            "--port",
            str(_free_port()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["database"] == "sqlite"
    assert report["small"]["check_ins"] == 400 and report["large"]["check_ins"] == 1200
    assert report["small"]["requests"] > 0 and report["large"]["requests"] > 0
    assert report["ratio_p50"] > 0
