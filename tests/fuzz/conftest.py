import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.fuzz.test_schemathesis import CASES
    from tests.fuzz.test_stateful import STEPS

    if CASES:
        terminalreporter.section("schemathesis")
        terminalreporter.write_line(
            f"{sum(CASES.values())} generated requests over {len(CASES)} operations"
        )
    if STEPS:
        terminalreporter.write_line(
            f"stateful: {sum(STEPS.values())} linked steps; "
            + ", ".join(f"{k}: {v}" for k, v in sorted(STEPS.items()))
        )
