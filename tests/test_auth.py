"""Who may call: secret keys (modes, revocation, rotation) and member tokens."""

import time
from datetime import timedelta

import jwt
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import keys, tokens
from app.core.config import Settings
from app.core.db import utcnow
from app.tenants import service as tenants
from app.tenants.models import ApiKey
from tests.factories import TenantWithKeys, bearer, make_member, member_token


def assert_401(response: object, code: str = "invalid_credentials") -> None:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith('Bearer realm="rapport"')
    assert response.json()["code"] == code


class TestSecretKeys:
    def test_missing(self, client: TestClient) -> None:
        assert_401(client.get("/v1/members"), "authentication_required")

    def test_not_bearer(self, client: TestClient, tenant: TenantWithKeys) -> None:
        assert_401(
            client.get("/v1/members", headers={"Authorization": f"Basic {tenant.test_secret}"})
        )

    def test_bad_checksum(self, client: TestClient, tenant: TenantWithKeys) -> None:
        secret = tenant.test_secret
        tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
        assert_401(client.get("/v1/members", headers=bearer(tampered)))

    def test_unknown_well_formed_key(self, client: TestClient) -> None:
        assert_401(client.get("/v1/members", headers=bearer(keys.generate(livemode=False).secret)))

    def test_revoked(self, client: TestClient, session: Session, tenant: TenantWithKeys) -> None:
        tenants.revoke_key(session, tenant.test_key_id)
        assert_401(client.get("/v1/members", headers=tenant.headers()))
        assert client.get("/v1/members", headers=tenant.headers(livemode=True)).status_code == 200

    def test_rotation_keeps_old_key_for_grace_then_expires(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        pepper = settings.secret_key.get_secret_value().encode()
        new = tenants.rotate_key(session, pepper, tenant.test_key_id, timedelta(seconds=1))
        assert new.rotated_from_id == tenant.test_key_id
        assert client.get("/v1/members", headers=tenant.headers()).status_code == 200
        assert client.get("/v1/members", headers=bearer(new.secret)).status_code == 200
        old = session.get(ApiKey, tenant.test_key_id)
        assert old is not None and old.expires_at is not None
        # The grace ends while the old key sits in the cache: expiry is checked on each use.
        time.sleep(max(0.0, (old.expires_at - utcnow()).total_seconds()) + 0.05)
        assert_401(client.get("/v1/members", headers=tenant.headers()))
        assert client.get("/v1/members", headers=bearer(new.secret)).status_code == 200

    def test_key_mode_sets_data_space(self, client: TestClient, tenant: TenantWithKeys) -> None:
        live = client.post(
            "/v1/members",
            json={"external_id": "m", "display_name": "M"},
            headers=tenant.headers(livemode=True),
        ).json()
        assert live["livemode"] is True
        assert client.get(f"/v1/members/{live['id']}", headers=tenant.headers()).status_code == 404

    def test_last_used_is_recorded(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        client.get("/v1/members", headers=tenant.headers(livemode=True))
        key = session.get(ApiKey, tenant.live_key_id)
        assert key is not None
        session.refresh(key)
        assert key.last_used_at is not None

    def test_secret_is_stored_only_as_hmac(
        self, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        key = session.get(ApiKey, tenant.test_key_id)
        assert key is not None
        assert tenant.test_secret not in key.model_dump_json()
        pepper = settings.secret_key.get_secret_value().encode()
        assert key.key_hash == keys.hash_secret(tenant.test_secret, pepper)
        assert key.prefix == tenant.test_secret[:12] and key.last4 == tenant.test_secret[-4:]


class TestMemberTokens:
    def test_expired(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        now = int(time.time())
        token = jwt.encode(
            {
                "iss": tokens.ISSUER,
                "aud": tokens.AUDIENCE,
                "sub": member.id,
                "ten": tenant.id,
                "livemode": False,
                "iat": now - 7200,
                "exp": now - 3600,
                "jti": "tok_x",
            },
            settings.token_secret.get_secret_value(),
            algorithm="HS256",
        )
        assert_401(client.get(f"/v1/members/{member.id}", headers=bearer(token)))

    def test_alg_none_refused(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        genuine = jwt.decode(
            member_token(settings, member),
            options={"verify_signature": False},
        )
        forged = jwt.encode(genuine, key="", algorithm="none")
        assert_401(client.get(f"/v1/members/{member.id}", headers=bearer(forged)))

    def test_other_signing_key_refused(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        token, _ = tokens.mint(
            "someone-else's-secret-" + "z" * 20,
            member_id=member.id,
            tenant_id=tenant.id,
            livemode=False,
            ttl_seconds=600,
        )
        assert_401(client.get(f"/v1/members/{member.id}", headers=bearer(token)))

    def test_wrong_audience_refused(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        claims = jwt.decode(member_token(settings, member), options={"verify_signature": False})
        claims["aud"] = "some-other-service"
        token = jwt.encode(claims, settings.token_secret.get_secret_value(), algorithm="HS256")
        assert_401(client.get(f"/v1/members/{member.id}", headers=bearer(token)))

    def test_claims_must_match_member(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        claims = jwt.decode(member_token(settings, member), options={"verify_signature": False})
        claims["livemode"] = True
        token = jwt.encode(claims, settings.token_secret.get_secret_value(), algorithm="HS256")
        assert_401(client.get(f"/v1/members/{member.id}", headers=bearer(token)))

    def test_garbage(self, client: TestClient) -> None:
        assert_401(client.get("/v1/members/mem_x", headers=bearer("not.a.jwt")))

    def test_ttl_is_capped_by_settings(
        self, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        from app.members import service as members

        member = make_member(session, tenant_id=tenant.id)
        capped = settings.model_copy(update={"member_token_max_ttl_seconds": 120})
        minted = members.mint_token(capped, member, 3600)
        remaining = (minted.expires_at - utcnow()).total_seconds()
        assert 100 < remaining <= 121


class TestKeyFormat:
    def test_generated_keys_parse(self) -> None:
        for livemode in (True, False):
            new = keys.generate(livemode=livemode)
            assert len(new.secret) == keys.KEY_LENGTH
            assert keys.parse_mode(new.secret) is livemode

    def test_malformed(self) -> None:
        secret = keys.generate(livemode=True).secret
        for bad in (
            secret[:-1],
            secret + "x",
            "sk_prod_" + secret[8:],
            secret[:20] + "!" + secret[21:],
        ):
            assert keys.parse_mode(bad) is None
