import pytest

from tests.content.coverage_table import coverage_table


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("content coverage: prompts per category × dimension × depth")
    terminalreporter.write_line(coverage_table())
