"""SDKs generated from openapi/openapi.json work: a Python client (openapi-python-client) runs
the whole partner flow against the app served by uvicorn, and a TypeScript client
(@hey-api/openapi-ts) compiles with `tsc --noEmit` together with the same flow written in
TypeScript (tests/js/sdk-usage.ts). Operation names read naturally in both."""

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.core.db import make_engine, session_scope
from app.core.migrations import ROOT
from tests.conftest import LiveServer, _settings, served
from tests.factories import make_tenant
from tests.node_tools import JS_DIR, tool

SPEC = JS_DIR.parents[1] / "openapi" / "openapi.json"
PACKAGE = "rapport_api_client"

pytestmark = pytest.mark.slow


def _operations() -> dict[str, str]:
    """operationId → tag, from the committed document."""
    spec = json.loads(SPEC.read_text())
    return {
        op["operationId"]: op["tags"][0]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def python_sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Generated into a temporary folder with docs/integration.md's command (the spec from
    the file rather than a server), and imported from there."""
    generator = Path(sys.executable).parent / "openapi-python-client"
    out = tmp_path_factory.mktemp("python-sdk")
    env = {**os.environ, "PATH": f"{generator.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(SPEC),
            "--output-path",
            str(out / "rapport-client"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # A clean generation: nothing of the document was skipped or misunderstood.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    project = out / "rapport-client"
    sys.path.insert(0, str(project))
    try:
        yield project / PACKAGE
    finally:
        sys.path.remove(str(project))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def api(tag: str, operation: str) -> Any:
    """`rapport_client.api.<tag>.<operation>`, as partners import it."""
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")


def models() -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


def test_python_operation_names(python_sdk: Path) -> None:
    expected = {f"{tag.replace('-', '_')}.{_snake(op)}" for op, tag in _operations().items()}
    generated = {
        f"{module.parent.name}.{module.stem}"
        for module in (python_sdk / "api").glob("*/*.py")
        if module.stem != "__init__"
    }
    assert generated == expected
    assert "check_ins.create_check_in" in generated


def test_partner_flow_through_the_python_sdk(python_sdk: Path, live_server: LiveServer) -> None:
    client_module = importlib.import_module(PACKAGE)
    m = models()
    with session_scope(live_server.engine) as session:
        tenant = make_tenant(session, live_server.settings, name="SDK partner")
    backend = client_module.AuthenticatedClient(
        base_url=live_server.base_url, token=tenant.test_secret
    )

    # Two members; the first create is retried with its Idempotency-Key and replayed.
    def create(external_id: str, name: str, zone: str) -> Any:
        body = m.MemberCreate(external_id=external_id, display_name=name, timezone=zone)
        create_member = api("members", "create_member")
        first = create_member.sync_detailed(client=backend, body=body, idempotency_key=external_id)
        again = create_member.sync_detailed(client=backend, body=body, idempotency_key=external_id)
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.parsed.id == first.parsed.id
        return first.parsed

    alex = create("sdk-alex", "Alex", "Europe/Paris")
    blake = create("sdk-blake", "Blake", "America/Chicago")

    def token_for(member: Any) -> Any:
        minted = api("members", "create_member_token").sync(
            member.id, client=backend, body=m.MemberTokenCreate(ttl_seconds=3600)
        )
        assert isinstance(minted, m.MemberToken), minted
        return client_module.AuthenticatedClient(base_url=live_server.base_url, token=minted.token)

    as_alex, as_blake = token_for(alex), token_for(blake)

    # A member token may not list members: the error parses as a problem with its code.
    refused = api("members", "list_members").sync(client=as_alex)
    assert isinstance(refused, m.Problem) and refused.code == "forbidden_for_member_token"

    # Alex invites from the app, Blake previews and accepts.
    invite = api("pairing", "create_invite").sync(client=as_alex, body=m.InviteCreate())
    assert isinstance(invite, m.InvitePublic), invite
    preview = api("pairing", "get_invite").sync(invite.code.lower(), client=as_blake)
    assert preview.inviter_display_name == "Alex"
    couple = api("pairing", "accept_invite").sync(invite.code, client=as_blake)
    assert isinstance(couple, m.CouplePublic), couple
    assert sorted(couple.members) == sorted([alex.id, blake.id])
    used = api("pairing", "accept_invite").sync(invite.code, client=as_blake)
    assert isinstance(used, m.Problem) and used.code == "invite_used"

    # Check-ins: a history back-filled by the backend (test mode reaches a year back), then
    # today's from each partner's own app.
    create_check_in = api("check_ins", "create_check_in")
    today = date.today()
    for days_back in range(24, 0, -3):
        for member, base in ((alex, 4), (blake, 3)):
            ratings = m.Ratings(openness=base, listening=base - 1, support=base, safety=5)
            made = create_check_in.sync(
                couple.id,
                client=backend,
                body=m.CheckInCreate(
                    member_id=member.id,
                    local_date=today - timedelta(days=days_back),
                    ratings=ratings,
                ),
            )
            assert isinstance(made, m.CheckInPublic), made
    for partner, closeness in ((as_alex, 6), (as_blake, 5)):
        made = create_check_in.sync(
            couple.id,
            client=partner,
            body=m.CheckInCreate(
                ratings=m.Ratings(openness=4, listening=3, vulnerability=4, support=5),
                closeness=closeness,
                moments=[m.Moment.FELT_HEARD],
                note="Long walk, good talk.",
            ),
        )
        assert isinstance(made, m.CheckInPublic), made
        assert made.closeness == closeness

    page = api("check_ins", "list_check_ins").sync(couple.id, client=as_blake, limit=5)
    assert isinstance(page, m.CheckInList) and page.has_more and len(page.data) == 5
    rest = api("check_ins", "list_check_ins").sync(
        couple.id, client=as_blake, limit=100, cursor=page.next_cursor
    )
    assert len(page.data) + len(rest.data) == 18 and rest.next_cursor is None

    # A prompt of the partner's own catalog, delivered and answered by both.
    catalog = api("catalog", "create_catalog").sync(
        client=backend, body=m.CatalogCreate(title="Our rituals")
    )
    prompt = api("catalog", "create_prompt").sync(
        catalog.id,
        client=backend,
        body=m.PromptCreate(
            text="When did you last feel really listened to by me?",
            category=m.Category.BUILDING_INTIMACY,
            dimensions=[m.Dimension.LISTENING],
            depth=m.Depth.MEDIUM,
            kind=m.Kind.QUESTION,
        ),
    )
    assert isinstance(prompt, m.PromptPublic), prompt
    delivery = api("deliveries", "create_delivery").sync(
        couple.id, client=backend, body=m.DeliveryCreate(prompt_id=prompt.id)
    )
    assert isinstance(delivery, m.DeliveryPublic), delivery
    create_answer = api("deliveries", "create_answer")
    for partner, text in ((as_alex, "On our walk on Sunday."), (as_blake, "Last night.")):
        answered = create_answer.sync(delivery.id, client=partner, body=m.AnswerCreate(text=text))
        assert isinstance(answered, m.AnswerPublic), answered
    seen = api("deliveries", "get_delivery").sync(delivery.id, client=as_alex)
    assert seen.revealed
    assert sorted(a.text for a in seen.answers) == ["Last night.", "On our walk on Sunday."]

    # The connection score, as the app shows it.
    connection = api("connection", "get_connection").sync(couple.id, client=as_alex, window_days=28)
    assert isinstance(connection, m.ConnectionPublic), connection
    assert connection.status == m.ConnectionPublicStatus.OK
    assert isinstance(connection.score, float) and 0 <= connection.score <= 100
    assert {p.member_id for p in connection.partners} == {alex.id, blake.id}
    assert connection.data_points == 18


def test_the_integration_guide_script_runs(
    python_sdk: Path, fresh_database: Callable[[], str], tmp_path: Path
) -> None:
    """docs/integration.md's Python script, as written, against `rapport serve` with the
    built-in content, through the client generated with the guide's command."""
    guide = (ROOT / "docs" / "integration.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", guide, re.S)
    assert len(blocks) == 1
    script = tmp_path / "couple.py"
    script.write_text(blocks[0])
    settings = _settings(fresh_database(), tmp_path)
    with served(settings, LOAD_CONTENT_ON_START="true") as (base_url, _server):
        engine = make_engine(settings)
        with session_scope(engine) as session:
            secret = make_tenant(session, settings, name="Guide reader").test_secret
        engine.dispose()
        result = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={
                **os.environ,
                "RAPPORT_API": base_url,
                "RAPPORT_KEY": secret,
                "PYTHONPATH": str(python_sdk.parent),
            },
        )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("paired: cpl_")
    assert "revealed: True" in lines
    score = next(line for line in lines if line.startswith("score: "))
    assert score.split()[2:] in (["ok", "stable"], ["ok", "improving"], ["ok", "declining"])


def test_typescript_sdk_compiles(tmp_path: Path) -> None:
    generator = tool("openapi-ts")
    tsc = tool("tsc")
    result = subprocess.run(
        [str(generator), "-i", str(SPEC), "-o", str(tmp_path / "client"), "--no-log-file"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    exported = set(
        re.findall(
            r"^export const (\w+) = ", (tmp_path / "client" / "sdk.gen.ts").read_text(), re.M
        )
    )
    assert exported == set(_operations())
    assert "createCheckIn" in exported

    shutil.copy(JS_DIR / "sdk-usage.ts", tmp_path / "sdk-usage.ts")
    (tmp_path / "tsconfig.json").write_text(
        json.dumps({"extends": str(JS_DIR / "tsconfig.json"), "include": ["./**/*.ts"]})
    )
    checked = subprocess.run(
        [str(tsc), "--noEmit", "-p", str(tmp_path / "tsconfig.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
