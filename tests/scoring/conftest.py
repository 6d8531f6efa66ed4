import pytest

from tests.scoring.test_simulation import MEASURED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if MEASURED:
        terminalreporter.section("connection model: simulated detection and false-alarm rates")
        for name, value in MEASURED.items():
            terminalreporter.write_line(f"{value:6.1%}  {name}")
