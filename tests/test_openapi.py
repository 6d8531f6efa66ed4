import json
from pathlib import Path

from fastapi import FastAPI

from app.core.migrations import ROOT

SPEC = ROOT / "openapi" / "openapi.json"


def test_committed_spec_is_current(app: FastAPI) -> None:
    committed = json.loads(Path(SPEC).read_text())
    assert committed == app.openapi(), "openapi/openapi.json is stale: run `rapport openapi`"


def test_operation_ids_read_naturally(app: FastAPI) -> None:
    ids = [op["operationId"] for item in app.openapi()["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert "createMember" in ids and "createMemberToken" in ids
    assert all("_" not in i for i in ids)


def test_bearer_scheme_declared_and_errors_are_problems(app: FastAPI) -> None:
    spec = app.openapi()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    create = spec["paths"]["/v1/members"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    for status in ("401", "403", "409", "422"):
        assert "application/problem+json" in create["responses"][status]["content"]
    params = {p["name"] for p in create["parameters"]}
    assert "Idempotency-Key" in params
