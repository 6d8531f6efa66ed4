import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.fuzz.test_schemathesis import CASES

    if CASES:
        terminalreporter.section("schemathesis")
        terminalreporter.write_line(
            f"{sum(CASES.values())} generated requests over {len(CASES)} operations"
        )
