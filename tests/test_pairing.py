"""Invites, accepting, couples and dissolving, as partners' backends and apps see them."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.config import Settings
from app.core.db import utcnow
from app.couples import codes
from app.couples.models import ActivePairing, Couple, Invite
from app.members.models import Member
from tests.factories import TenantWithKeys, bearer, make_member, member_token


def invite(client: TestClient, tenant: TenantWithKeys, inviter: Member, **body: object) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/v1/invites", json={"inviter_id": inviter.id, **body}, headers=tenant.headers()
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def accept(client: TestClient, tenant: TenantWithKeys, code: str, member: Member) -> Response:
    response: Response = client.post(
        f"/v1/invites/{code}/accept", json={"member_id": member.id}, headers=tenant.headers()
    )
    return response


@pytest.fixture
def pair(session: Session, tenant: TenantWithKeys) -> tuple[Member, Member]:
    return (
        make_member(session, tenant_id=tenant.id, display_name="Alex"),
        make_member(session, tenant_id=tenant.id, display_name="Blake"),
    )


class TestCreateInvite:
    def test_with_secret_key(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        alex, _ = pair
        body = invite(client, tenant, alex)
        assert body["id"].startswith("inv_")
        assert body["inviter_id"] == alex.id
        assert body["inviter_display_name"] == "Alex"
        assert body["status"] == "pending"
        assert body["couple_id"] is None
        code = body["code"]
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(codes.ALPHABET)
        assert not set(code) & set("01OIL")
        row = session.get(Invite, body["id"])
        assert row is not None
        hours = (row.expires_at - row.created_at).total_seconds() / 3600
        assert 71.9 < hours <= 72
        audited = session.exec(
            select(AuditEvent.action, AuditEvent.actor_type).where(
                AuditEvent.object_id == body["id"]
            )
        ).all()
        assert audited == [("invite.created", "key")]

    def test_with_member_token_inviter_implied(
        self, client: TestClient, settings: Settings, pair: tuple[Member, Member]
    ) -> None:
        alex, blake = pair
        response = client.post(
            "/v1/invites", json={"ttl_seconds": 3600}, headers=bearer(member_token(settings, alex))
        )
        assert response.status_code == 201
        assert response.json()["inviter_id"] == alex.id
        other = client.post(
            "/v1/invites",
            json={"inviter_id": blake.id},
            headers=bearer(member_token(settings, alex)),
        )
        assert other.status_code == 403
        assert other.json()["code"] == "cannot_act_for_another_member"

    def test_secret_key_needs_inviter(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.post("/v1/invites", json={}, headers=tenant.headers())
        assert response.status_code == 422
        assert response.json()["code"] == "member_id_required"
        assert response.json()["errors"][0]["pointer"] == "#/inviter_id"

    @pytest.mark.parametrize("ttl", [3599, 14 * 24 * 3600 + 1, True, "3600"])
    def test_ttl_bounds(
        self, ttl: object, client: TestClient, tenant: TenantWithKeys, pair: tuple[Member, Member]
    ) -> None:
        response = client.post(
            "/v1/invites",
            json={"inviter_id": pair[0].id, "ttl_seconds": ttl},
            headers=tenant.headers(),
        )
        assert response.status_code == 422

    def test_inviter_already_paired(
        self, client: TestClient, tenant: TenantWithKeys, pair: tuple[Member, Member]
    ) -> None:
        alex, blake = pair
        accept(client, tenant, invite(client, tenant, alex)["code"], blake)
        response = client.post(
            "/v1/invites", json={"inviter_id": alex.id}, headers=tenant.headers()
        )
        assert response.status_code == 409
        assert response.json()["code"] == "already_paired"


class TestPreviewInvite:
    def test_any_case_and_dash(
        self,
        client: TestClient,
        settings: Settings,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        alex, blake = pair
        code = invite(client, tenant, alex)["code"]
        headers = bearer(member_token(settings, blake))
        for typed in (code, code.lower(), code.replace("-", ""), f" {code.lower()} "):
            response = client.get(f"/v1/invites/{typed.strip()}", headers=headers)
            assert response.status_code == 200
            body = response.json()
            assert (body["code"], body["inviter_display_name"], body["status"]) == (
                code,
                "Alex",
                "pending",
            )

    def test_other_tenant_or_mode_sees_nothing(
        self,
        client: TestClient,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        code = invite(client, tenant, pair[0])["code"]
        for headers in (other_tenant.headers(), tenant.headers(livemode=True)):
            response = client.get(f"/v1/invites/{code}", headers=headers)
            assert response.status_code == 404
            assert response.json()["code"] == "invite_not_found"

    def test_expired_status(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        body = invite(client, tenant, pair[0])
        row = session.get(Invite, body["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.flush()
        assert (
            client.get(f"/v1/invites/{body['code']}", headers=tenant.headers()).json()["status"]
            == "expired"
        )


class TestAcceptInvite:
    def test_valid(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        alex, blake = pair
        code = invite(client, tenant, alex)["code"]
        response = accept(client, tenant, code.lower().replace("-", ""), blake)
        assert response.status_code == 201
        couple = response.json()
        assert couple["id"].startswith("cpl_")
        assert couple["members"] == [alex.id, blake.id]
        assert couple["status"] == "active" and couple["dissolved_at"] is None
        assert couple["livemode"] is False
        pairings = session.exec(
            select(ActivePairing).where(ActivePairing.couple_id == couple["id"])
        ).all()
        assert sorted(p.member_id for p in pairings) == sorted([alex.id, blake.id])
        preview = client.get(f"/v1/invites/{code}", headers=tenant.headers()).json()
        assert preview["status"] == "accepted" and preview["couple_id"] == couple["id"]
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.object_id == couple["id"])
        ).all()
        assert actions == ["couple.paired"]

    def test_with_member_token(
        self,
        client: TestClient,
        settings: Settings,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        alex, blake = pair
        code = invite(client, tenant, alex)["code"]
        response = client.post(
            f"/v1/invites/{code}/accept", headers=bearer(member_token(settings, blake))
        )
        assert response.status_code == 201
        assert response.json()["members"] == [alex.id, blake.id]

    def test_not_found(
        self, client: TestClient, tenant: TenantWithKeys, pair: tuple[Member, Member]
    ) -> None:
        for code in ("ZZZZ-ZZZZ", "not-a-code"):
            response = accept(client, tenant, code, pair[1])
            assert response.status_code == 404
            assert response.json()["code"] == "invite_not_found"

    def test_expired(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        body = invite(client, tenant, pair[0])
        row = session.get(Invite, body["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.flush()
        response = accept(client, tenant, body["code"], pair[1])
        assert response.status_code == 410
        assert response.json()["code"] == "invite_expired"

    def test_used(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        code = invite(client, tenant, pair[0])["code"]
        assert accept(client, tenant, code, pair[1]).status_code == 201
        third = make_member(session, tenant_id=tenant.id)
        response = accept(client, tenant, code, third)
        assert response.status_code == 409
        assert response.json()["code"] == "invite_used"

    def test_revoked(
        self, client: TestClient, tenant: TenantWithKeys, pair: tuple[Member, Member]
    ) -> None:
        code = invite(client, tenant, pair[0])["code"]
        assert client.delete(f"/v1/invites/{code}", headers=tenant.headers()).status_code == 204
        response = accept(client, tenant, code, pair[1])
        assert response.status_code == 410
        assert response.json()["code"] == "invite_revoked"

    def test_self(
        self, client: TestClient, tenant: TenantWithKeys, pair: tuple[Member, Member]
    ) -> None:
        code = invite(client, tenant, pair[0])["code"]
        response = accept(client, tenant, code, pair[0])
        assert response.status_code == 422
        assert response.json()["code"] == "cannot_pair_with_self"

    def test_already_paired(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        alex, blake = pair
        carol = make_member(session, tenant_id=tenant.id)
        first = invite(client, tenant, alex)["code"]
        second = invite(client, tenant, carol)["code"]
        assert accept(client, tenant, first, blake).status_code == 201
        response = accept(client, tenant, second, blake)
        assert response.status_code == 409
        assert response.json()["code"] == "already_paired"
        assert (
            session.exec(select(Couple).where(Couple.tenant_id == tenant.id)).all().__len__() == 1
        )

    def test_member_of_other_tenant_gets_not_found(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        code = invite(client, tenant, pair[0])["code"]
        stranger = make_member(session, tenant_id=other_tenant.id)
        response = client.post(
            f"/v1/invites/{code}/accept", headers=bearer(member_token(settings, stranger))
        )
        assert response.status_code == 404
        assert response.json()["code"] == "invite_not_found"
        live = make_member(session, tenant_id=tenant.id, livemode=True)
        response = client.post(
            f"/v1/invites/{code}/accept", headers=bearer(member_token(settings, live))
        )
        assert response.json()["code"] == "invite_not_found"

    def test_guessing_is_refused(
        self,
        client: TestClient,
        settings: Settings,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        alex, blake = pair
        real = invite(client, tenant, alex)["code"]
        headers = bearer(member_token(settings, blake))
        statuses = [
            client.post(f"/v1/invites/{codes.generate()}/accept", headers=headers).status_code
            for _ in range(12)
        ]
        assert statuses[:10] == [404] * 10
        assert statuses[10:] == [429, 429]
        refused = client.post(f"/v1/invites/{real}/accept", headers=headers)
        assert refused.status_code == 429
        assert refused.json()["code"] == "too_many_attempts"
        assert 1 <= int(refused.headers["retry-after"]) <= 15 * 60 + 1
        # Another member of the same app is not punished for it.
        carol_headers = bearer(member_token(settings, make_member_for(client, tenant)))
        assert client.get(f"/v1/invites/{real}", headers=carol_headers).status_code == 200


def make_member_for(client: TestClient, tenant: TenantWithKeys) -> Member:
    body = client.post(
        "/v1/members",
        json={"external_id": "carol", "display_name": "Carol"},
        headers=tenant.headers(),
    ).json()
    return Member(
        **{**body, "tenant_id": tenant.id, "created_at": utcnow(), "updated_at": utcnow()}
    )


class TestRevokeInvite:
    def test_by_inviter_token(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        alex, blake = pair
        code = invite(client, tenant, alex)["code"]
        assert (
            client.delete(
                f"/v1/invites/{code}", headers=bearer(member_token(settings, blake))
            ).status_code
            == 404
        )
        assert (
            client.delete(
                f"/v1/invites/{code}", headers=bearer(member_token(settings, alex))
            ).status_code
            == 204
        )
        assert (
            client.get(f"/v1/invites/{code}", headers=tenant.headers()).json()["status"]
            == "revoked"
        )
        actions = session.exec(
            select(AuditEvent.action).where(col(AuditEvent.action) == "invite.revoked")
        ).all()
        assert len(actions) == 1

    def test_accepted_cannot_be_revoked(
        self, client: TestClient, tenant: TenantWithKeys, pair: tuple[Member, Member]
    ) -> None:
        code = invite(client, tenant, pair[0])["code"]
        accept(client, tenant, code, pair[1])
        response = client.delete(f"/v1/invites/{code}", headers=tenant.headers())
        assert response.status_code == 409
        assert response.json()["code"] == "invite_used"


class TestCouples:
    def paired(
        self, client: TestClient, tenant: TenantWithKeys, pair: tuple[Member, Member]
    ) -> dict:  # type: ignore[type-arg]
        return accept(client, tenant, invite(client, tenant, pair[0])["code"], pair[1]).json()  # type: ignore[no-any-return]

    def test_list_and_filter(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        couple = self.paired(client, tenant, pair)
        page = client.get("/v1/couples", headers=tenant.headers()).json()
        assert [c["id"] for c in page["data"]] == [couple["id"]]
        assert (
            client.get(
                "/v1/couples", params={"status": "dissolved"}, headers=tenant.headers()
            ).json()["data"]
            == []
        )
        by_member = client.get(
            "/v1/couples", params={"member_id": pair[1].id}, headers=tenant.headers()
        ).json()
        assert [c["id"] for c in by_member["data"]] == [couple["id"]]

    def test_member_token_reads_own_active_couple_only(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        couple = self.paired(client, tenant, pair)
        own = bearer(member_token(settings, pair[0]))
        assert client.get(f"/v1/couples/{couple['id']}", headers=own).status_code == 200
        stranger = bearer(member_token(settings, make_member(session, tenant_id=tenant.id)))
        assert client.get(f"/v1/couples/{couple['id']}", headers=stranger).status_code == 404
        listed = client.get("/v1/couples", headers=own)
        assert listed.status_code == 403
        assert listed.json()["code"] == "forbidden_for_member_token"

    def test_dissolve_by_member(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        alex, blake = pair
        couple = self.paired(client, tenant, pair)
        alex_token = member_token(settings, alex)
        blake_token = member_token(settings, blake)
        response = client.post(f"/v1/couples/{couple['id']}/dissolve", headers=bearer(alex_token))
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "dissolved" and body["dissolved_at"] is not None
        # Tokens issued before are revoked; the tenant keeps read access.
        for token in (alex_token, blake_token):
            assert (
                client.get(f"/v1/couples/{couple['id']}", headers=bearer(token)).status_code == 401
            )
        fresh = bearer(member_token(settings, blake))
        assert client.get(f"/v1/couples/{couple['id']}", headers=fresh).status_code == 404
        assert (
            client.get(f"/v1/couples/{couple['id']}", headers=tenant.headers()).json()["status"]
            == "dissolved"
        )
        # Both may pair again at once.
        assert self.paired(client, tenant, (blake, alex))["status"] == "active"
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.object_id == couple["id"])
        ).all()
        assert sorted(actions) == ["couple.dissolved", "couple.paired"]

    def test_dissolve_twice(
        self, client: TestClient, tenant: TenantWithKeys, pair: tuple[Member, Member]
    ) -> None:
        couple = self.paired(client, tenant, pair)
        assert (
            client.post(
                f"/v1/couples/{couple['id']}/dissolve", headers=tenant.headers()
            ).status_code
            == 200
        )
        again = client.post(f"/v1/couples/{couple['id']}/dissolve", headers=tenant.headers())
        assert again.status_code == 409
        assert again.json()["code"] == "couple_not_active"

    def test_erasing_a_member_dissolves_and_export_lists(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        pair: tuple[Member, Member],
    ) -> None:
        alex, blake = pair
        couple = self.paired(client, tenant, pair)
        export = client.get(f"/v1/members/{blake.id}/export", headers=tenant.headers()).json()
        assert [c["id"] for c in export["couples"]] == [couple["id"]]
        alex_export = client.get(f"/v1/members/{alex.id}/export", headers=tenant.headers()).json()
        assert len(alex_export["invites"]) == 1

        assert client.delete(f"/v1/members/{alex.id}", headers=tenant.headers()).status_code == 204
        after = client.get(f"/v1/couples/{couple['id']}", headers=tenant.headers()).json()
        assert after["status"] == "dissolved"
        assert session.get(ActivePairing, blake.id) is None
        assert session.exec(select(Invite).where(Invite.inviter_id == alex.id)).all() == []
        # Blake may pair again right away.
        carol = make_member(session, tenant_id=tenant.id)
        assert (
            accept(client, tenant, invite(client, tenant, carol)["code"], blake).status_code == 201
        )
