"""Stateful fuzzing: schemathesis chains operations through the links it infers from the
document (create a catalog, read it, patch it, delete it, read it again…) and runs its
checks on every step, use-after-delete included."""

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings

from tests.fuzz.test_schemathesis import SECRET, schema

STEPS: Counter[str] = Counter()


class Workflows(schema.as_state_machine()):  # type: ignore[misc]
    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        if case.query:
            # As in test_schemathesis: an unknown query parameter drawn as an empty list is
            # not sent at all, so send it empty, making the request the negative one it is.
            case.query = {k: "" if v == [] else v for k, v in case.query.items()}
        return {"headers": {"Authorization": f"Bearer {SECRET}"}}

    def after_call(self, response: Any, case: Any) -> None:
        STEPS[f"{case.operation.method.upper()} {response.status_code}"] += 1
        super().after_call(response, case)


TestWorkflows = Workflows.TestCase
TestWorkflows.settings = settings(
    max_examples=80,
    stateful_step_count=8,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
