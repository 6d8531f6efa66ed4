from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.config import Settings
from app.members.models import Member
from tests.factories import TenantWithKeys, bearer, make_member, member_token


def create_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "external_id": "user-42",
        "display_name": "Robin",
        "timezone": "Europe/Paris",
        "day_starts_at_hour": 3,
        "locale": "en",
    }
    body.update(overrides)
    return body


class TestCreateMember:
    def test_valid(self, client: TestClient, session: Session, tenant: TenantWithKeys) -> None:
        response = client.post("/v1/members", json=create_body(), headers=tenant.headers())

        assert response.status_code == 201
        body = response.json()
        assert body["id"].startswith("mem_")
        assert body == {
            "id": body["id"],
            "external_id": "user-42",
            "display_name": "Robin",
            "timezone": "Europe/Paris",
            "day_starts_at_hour": 3,
            "locale": "en",
            "livemode": False,
            "created_at": body["created_at"],
            "updated_at": body["updated_at"],
        }
        assert body["created_at"].endswith("Z")
        row = session.get(Member, body["id"])
        assert row is not None and row.tenant_id == tenant.id and row.livemode is False

    def test_defaults(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.post(
            "/v1/members",
            json={"external_id": "u1", "display_name": "Kai"},
            headers=tenant.headers(livemode=True),
        )
        assert response.status_code == 201
        body = response.json()
        assert (body["timezone"], body["day_starts_at_hour"], body["locale"]) == ("UTC", 4, "en")
        assert body["livemode"] is True

    def test_duplicate_external_id_names_existing(
        self, client: TestClient, tenant: TenantWithKeys
    ) -> None:
        first = client.post("/v1/members", json=create_body(), headers=tenant.headers())
        second = client.post(
            "/v1/members", json=create_body(display_name="Other"), headers=tenant.headers()
        )

        assert second.status_code == 409
        assert second.headers["content-type"] == "application/problem+json"
        problem = second.json()
        assert problem["code"] == "member_exists"
        assert problem["existing_id"] == first.json()["id"]
        assert first.json()["id"] in problem["detail"]

    def test_same_external_id_in_other_mode_and_tenant(
        self, client: TestClient, tenant: TenantWithKeys, other_tenant: TenantWithKeys
    ) -> None:
        for headers in (
            tenant.headers(),
            tenant.headers(livemode=True),
            other_tenant.headers(),
        ):
            assert (
                client.post("/v1/members", json=create_body(), headers=headers).status_code == 201
            )

    def test_invalid_timezone(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.post(
            "/v1/members", json=create_body(timezone="Mars/Olympus"), headers=tenant.headers()
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "#/timezone"

    def test_boolean_is_not_an_hour(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.post(
            "/v1/members", json=create_body(day_starts_at_hour=True), headers=tenant.headers()
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "#/day_starts_at_hour"

    def test_hour_out_of_range(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.post(
            "/v1/members", json=create_body(day_starts_at_hour=7), headers=tenant.headers()
        )
        assert response.status_code == 422

    def test_unknown_field_rejected(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        response = client.post(
            "/v1/members", json=create_body(tenant_id="ten_other"), headers=tenant.headers()
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "#/tenant_id"
        assert session.exec(select(Member).where(Member.tenant_id == tenant.id)).all() == []

    def test_overlong_strings(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.post(
            "/v1/members", json=create_body(display_name="x" * 101), headers=tenant.headers()
        )
        assert response.status_code == 422

    def test_member_token_forbidden(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        response = client.post(
            "/v1/members", json=create_body(), headers=bearer(member_token(settings, member))
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden_for_member_token"


class TestListMembers:
    def test_paginates_newest_first(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        ids = [
            client.post(
                "/v1/members", json=create_body(external_id=f"u{i}"), headers=tenant.headers()
            ).json()["id"]
            for i in range(5)
        ]
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, str | int] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/v1/members", params=params, headers=tenant.headers()).json()
            pages += 1
            seen += [m["id"] for m in page["data"]]
            if not page["has_more"]:
                assert page["next_cursor"] is None
                break
            cursor = page["next_cursor"]
        assert pages == 3
        assert seen == list(reversed(ids))

    def test_isolated_by_tenant_and_mode(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
    ) -> None:
        mine = make_member(session, tenant_id=tenant.id)
        make_member(session, tenant_id=tenant.id, livemode=True)
        make_member(session, tenant_id=other_tenant.id)
        page = client.get("/v1/members", headers=tenant.headers()).json()
        assert [m["id"] for m in page["data"]] == [mine.id]

    def test_filter_by_external_id(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        make_member(session, tenant_id=tenant.id, external_id="a")
        b = make_member(session, tenant_id=tenant.id, external_id="b")
        page = client.get(
            "/v1/members", params={"external_id": "b"}, headers=tenant.headers()
        ).json()
        assert [m["id"] for m in page["data"]] == [b.id]

    def test_bad_cursor(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.get(
            "/v1/members", params={"cursor": "not-a-cursor"}, headers=tenant.headers()
        )
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_cursor"

    def test_limit_bounds(self, client: TestClient, tenant: TenantWithKeys) -> None:
        for limit in (0, 101, "many"):
            response = client.get("/v1/members", params={"limit": limit}, headers=tenant.headers())
            assert response.status_code == 422
            assert response.json()["errors"][0]["pointer"] == "#/query/limit"


class TestGetMember:
    def test_tenant_reads(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id, display_name="Ari")
        response = client.get(f"/v1/members/{member.id}", headers=tenant.headers())
        assert response.status_code == 200
        assert response.json()["display_name"] == "Ari"

    def test_member_token_reads_itself_only(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        me = make_member(session, tenant_id=tenant.id)
        other = make_member(session, tenant_id=tenant.id)
        headers = bearer(member_token(settings, me))
        assert client.get(f"/v1/members/{me.id}", headers=headers).status_code == 200
        response = client.get(f"/v1/members/{other.id}", headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_other_tenant_and_mode_get_404(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        for headers in (other_tenant.headers(), tenant.headers(livemode=True)):
            assert client.get(f"/v1/members/{member.id}", headers=headers).status_code == 404

    def test_unknown(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.get("/v1/members/mem_nope", headers=tenant.headers())
        assert response.status_code == 404


class TestUpdateMember:
    def test_partial_update(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id, display_name="Old")
        response = client.patch(
            f"/v1/members/{member.id}",
            json={"display_name": "New", "timezone": "Asia/Tokyo"},
            headers=tenant.headers(),
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["display_name"], body["timezone"], body["locale"]) == (
            "New",
            "Asia/Tokyo",
            "en",
        )
        session.refresh(member)
        assert member.display_name == "New"

    def test_external_id_cannot_change(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        response = client.patch(
            f"/v1/members/{member.id}", json={"external_id": "x"}, headers=tenant.headers()
        )
        assert response.status_code == 422

    def test_member_token_forbidden(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        response = client.patch(
            f"/v1/members/{member.id}",
            json={"display_name": "Me"},
            headers=bearer(member_token(settings, member)),
        )
        assert response.status_code == 403


class TestEraseMember:
    def test_erases_and_audits(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        token = member_token(settings, member)
        response = client.delete(f"/v1/members/{member.id}", headers=tenant.headers())
        assert response.status_code == 204
        assert response.content == b""
        assert client.get(f"/v1/members/{member.id}", headers=tenant.headers()).status_code == 404
        # Its tokens die with it.
        assert client.get(f"/v1/members/{member.id}", headers=bearer(token)).status_code == 401
        events = session.exec(select(AuditEvent).where(AuditEvent.object_id == member.id)).all()
        assert [(e.action, e.actor_type, e.actor_id) for e in events] == [
            ("member.erased", "key", tenant.test_key_id)
        ]
        assert events[0].request_id == response.headers["x-request-id"]


class TestExportMember:
    def test_exports_and_audits(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id, display_name="Lee")
        response = client.get(f"/v1/members/{member.id}/export", headers=tenant.headers())
        assert response.status_code == 200
        body = response.json()
        assert body["member"]["id"] == member.id
        assert body["member"]["display_name"] == "Lee"
        assert body["exported_at"].endswith("Z")
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.object_id == member.id)
        ).all()
        assert actions == ["member.exported"]

    def test_member_token_forbidden(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        response = client.get(
            f"/v1/members/{member.id}/export", headers=bearer(member_token(settings, member))
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden_for_member_token"


class TestMemberTokens:
    def test_mint_and_use(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        response = client.post(
            f"/v1/members/{member.id}/tokens", json={"ttl_seconds": 600}, headers=tenant.headers()
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"token", "token_type", "member_id", "expires_at"}
        assert body["member_id"] == member.id
        me = client.get(f"/v1/members/{member.id}", headers=bearer(body["token"]))
        assert me.status_code == 200

    def test_without_body_uses_default_ttl(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        response = client.post(f"/v1/members/{member.id}/tokens", headers=tenant.headers())
        assert response.status_code == 201

    def test_ttl_bounds(self, client: TestClient, session: Session, tenant: TenantWithKeys) -> None:
        member = make_member(session, tenant_id=tenant.id)
        for ttl in (59, 86401, True):
            response = client.post(
                f"/v1/members/{member.id}/tokens",
                json={"ttl_seconds": ttl},
                headers=tenant.headers(),
            )
            assert response.status_code == 422

    def test_member_token_cannot_mint(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        response = client.post(
            f"/v1/members/{member.id}/tokens", headers=bearer(member_token(settings, member))
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden_for_member_token"

    def test_revoke_ends_earlier_tokens_only(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        before = member_token(settings, member)
        response = client.post(f"/v1/members/{member.id}/tokens/revoke", headers=tenant.headers())
        assert response.status_code == 204
        after = member_token(settings, member)
        refused = client.get(f"/v1/members/{member.id}", headers=bearer(before))
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalid_credentials"
        assert client.get(f"/v1/members/{member.id}", headers=bearer(after)).status_code == 200
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.object_id == member.id)
        ).all()
        assert actions == ["member.tokens_revoked"]
