"""Check-ins: what partners submit, local dates, mutual reveal, and private notes."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.checkins import dates
from app.checkins.models import CheckIn
from app.core.config import Settings
from app.core.db import utcnow
from app.encryption import service as encryption
from app.encryption.models import MemberKey
from app.members.models import Member
from tests.factories import TenantWithKeys, bearer, make_member, member_token

RATINGS = {"openness": 4, "listening": 3, "vulnerability": 4, "support": 5}


def today_of(member: Member) -> date:
    return dates.local_today(utcnow(), member.timezone, member.day_starts_at_hour)


class Couple:
    """Alex and Blake, paired, each with a member token."""

    def __init__(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        *,
        livemode: bool = False,
    ) -> None:
        self.client = client
        self.tenant = tenant
        self.livemode = livemode
        self.alex = make_member(
            session,
            tenant_id=tenant.id,
            livemode=livemode,
            display_name="Alex",
            timezone="Europe/Paris",
        )
        self.blake = make_member(
            session,
            tenant_id=tenant.id,
            livemode=livemode,
            display_name="Blake",
            timezone="America/Chicago",
        )
        key = tenant.headers(livemode=livemode)
        code = client.post("/v1/invites", json={"inviter_id": self.alex.id}, headers=key).json()[
            "code"
        ]
        self.id = client.post(
            f"/v1/invites/{code}/accept", json={"member_id": self.blake.id}, headers=key
        ).json()["id"]
        self.alex_headers = bearer(member_token(settings, self.alex))
        self.blake_headers = bearer(member_token(settings, self.blake))
        self.key = key

    def shared_day(self) -> str:
        """A local date both may check in for: for seven hours a day (03:00–10:00 UTC in
        winter) Alex's day in Paris has turned and Blake's in Chicago has not."""
        return min(today_of(self.alex), today_of(self.blake)).isoformat()

    def check_in(self, headers: dict[str, str], **body: object) -> Response:
        response: Response = self.client.post(
            f"/v1/couples/{self.id}/check-ins", json={"ratings": RATINGS, **body}, headers=headers
        )
        return response


@pytest.fixture
def couple(
    client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
) -> Couple:
    return Couple(client, session, settings, tenant)


class TestCreateCheckIn:
    def test_with_member_token(self, couple: Couple, session: Session) -> None:
        response = couple.check_in(
            couple.alex_headers,
            ratings={**RATINGS, "conflict_repair": 2},
            closeness=6,
            moments=["felt_heard", "quality_time"],
            note="Lovely walk tonight.",
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body == {
            "id": body["id"],
            "couple_id": couple.id,
            "member_id": couple.alex.id,
            "local_date": today_of(couple.alex).isoformat(),
            "revealed": True,
            "ratings": {
                "openness": 4,
                "listening": 3,
                "vulnerability": 4,
                "support": 5,
                "safety": None,
                "appreciation": None,
                "quality_time": None,
                "conflict_repair": 2,
            },
            "closeness": 6,
            "moments": ["felt_heard", "quality_time"],
            "note": "Lovely walk tonight.",
            "note_visibility": "private",
            "livemode": False,
            "created_at": body["created_at"],
            "updated_at": body["updated_at"],
        }
        row = session.get(CheckIn, body["id"])
        assert row is not None and row.support == 5 and row.note_ciphertext is not None
        assert b"Lovely walk" not in row.note_ciphertext

    def test_secret_key_names_the_member(self, couple: Couple) -> None:
        missing = couple.check_in(couple.key)
        assert missing.status_code == 422
        assert missing.json()["code"] == "member_id_required"
        response = couple.check_in(couple.key, member_id=couple.blake.id)
        assert response.status_code == 201
        assert response.json()["member_id"] == couple.blake.id

    def test_member_must_be_in_the_couple(
        self, couple: Couple, session: Session, tenant: TenantWithKeys
    ) -> None:
        stranger = make_member(session, tenant_id=tenant.id)
        response = couple.check_in(couple.key, member_id=stranger.id)
        assert response.status_code == 422
        assert response.json()["code"] == "member_not_in_couple"

    def test_token_cannot_check_in_for_partner(self, couple: Couple) -> None:
        response = couple.check_in(couple.alex_headers, member_id=couple.blake.id)
        assert response.status_code == 403
        assert response.json()["code"] == "cannot_act_for_another_member"

    def test_other_couple_or_tenant(
        self,
        couple: Couple,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
    ) -> None:
        stranger = bearer(member_token(settings, make_member(session, tenant_id=tenant.id)))
        assert couple.check_in(stranger).status_code == 404
        assert couple.check_in(other_tenant.headers(), member_id=couple.alex.id).status_code == 404

    def test_dissolved_couple(self, couple: Couple, client: TestClient) -> None:
        client.post(f"/v1/couples/{couple.id}/dissolve", headers=couple.key)
        response = couple.check_in(couple.key, member_id=couple.alex.id)
        assert response.status_code == 409
        assert response.json()["code"] == "couple_not_active"

    @pytest.mark.parametrize(
        ("ratings", "pointer"),
        [
            ({"openness": 4, "listening": 3, "support": 5}, "#/ratings"),
            ({**RATINGS, "openness": 6}, "#/ratings/openness"),
            ({**RATINGS, "openness": 0}, "#/ratings/openness"),
            ({**RATINGS, "openness": True}, "#/ratings/openness"),
            ({**RATINGS, "openness": 4.5}, "#/ratings/openness"),
            ({**RATINGS, "romance": 3}, "#/ratings/romance"),
            ({**RATINGS, "conflict_repair": 9}, "#/ratings/conflict_repair"),
        ],
    )
    def test_ratings_validation(
        self, couple: Couple, ratings: dict[str, object], pointer: str
    ) -> None:
        response = couple.check_in(couple.alex_headers, ratings=ratings)
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == pointer

    @pytest.mark.parametrize(
        "extra",
        [
            {"closeness": 8},
            {"closeness": 0},
            {"moments": ["felt_amazing"]},
            {"moments": ["felt_heard", "felt_heard"]},
            {"note": "x" * 2001},
            {"note_visibility": "public"},
            {"local_date": 20261125},
            {"local_date": "25/11/2026"},
        ],
    )
    def test_other_fields_validation(
        self, couple: Couple, session: Session, extra: dict[str, object]
    ) -> None:
        assert couple.check_in(couple.alex_headers, **extra).status_code == 422
        assert session.exec(select(CheckIn).where(CheckIn.couple_id == couple.id)).all() == []

    def test_second_for_same_date_names_the_first(self, couple: Couple) -> None:
        first = couple.check_in(couple.alex_headers, note="a private thought").json()
        second = couple.check_in(couple.alex_headers)
        assert second.status_code == 409
        problem = second.json()
        assert problem["code"] == "check_in_exists"
        assert problem["existing_id"] == first["id"]
        assert "private thought" not in second.text

    def test_idempotent_retry_replays(self, couple: Couple, session: Session) -> None:
        headers = {**couple.alex_headers, "Idempotency-Key": "evening-1"}
        first = couple.check_in(headers)
        again = couple.check_in(headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert (
            len(session.exec(select(CheckIn).where(CheckIn.member_id == couple.alex.id)).all()) == 1
        )


class TestLocalDates:
    def test_back_dating_in_live_mode(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        live = Couple(client, session, settings, tenant, livemode=True)
        today = today_of(live.alex)
        week_ago = (today - timedelta(days=7)).isoformat()
        assert live.check_in(live.alex_headers, local_date=week_ago).status_code == 201
        for bad in (today - timedelta(days=8), today + timedelta(days=1)):
            response = live.check_in(live.alex_headers, local_date=bad.isoformat())
            assert response.status_code == 422
            assert response.json()["code"] == "local_date_out_of_range"
            assert response.json()["errors"][0]["pointer"] == "#/local_date"

    def test_test_mode_reaches_a_year_back(self, couple: Couple) -> None:
        today = today_of(couple.alex)
        assert (
            couple.check_in(
                couple.alex_headers, local_date=(today - timedelta(days=365)).isoformat()
            ).status_code
            == 201
        )
        response = couple.check_in(
            couple.alex_headers, local_date=(today - timedelta(days=366)).isoformat()
        )
        assert response.json()["code"] == "local_date_out_of_range"

    def test_default_date_follows_each_members_zone(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        c = Couple(client, session, settings, tenant)
        for member, headers in ((c.alex, c.alex_headers), (c.blake, c.blake_headers)):
            member.timezone = "Pacific/Kiritimati" if member is c.alex else "Pacific/Pago_Pago"
            member.day_starts_at_hour = 0
            session.add(member)
            session.flush()
            body = c.check_in(headers).json()
            assert body["local_date"] == today_of(member).isoformat()

    def test_moving_zone_never_rewrites_past_dates(
        self, couple: Couple, client: TestClient
    ) -> None:
        created = couple.check_in(couple.alex_headers).json()
        client.patch(
            f"/v1/members/{couple.alex.id}",
            json={"timezone": "Pacific/Kiritimati"},
            headers=couple.key,
        )
        again = client.get(f"/v1/check-ins/{created['id']}", headers=couple.alex_headers).json()
        assert again["local_date"] == created["local_date"]


class TestReplaceCheckIn:
    def test_author_replaces(self, couple: Couple, client: TestClient) -> None:
        created = couple.check_in(couple.alex_headers, note="first").json()
        response = client.put(
            f"/v1/check-ins/{created['id']}",
            json={
                "ratings": {**RATINGS, "support": 1},
                "closeness": 2,
                "note": "second",
                "note_visibility": "shared",
            },
            headers=couple.alex_headers,
        )
        assert response.status_code == 200
        body = response.json()
        assert body["ratings"]["support"] == 1 and body["closeness"] == 2
        assert (body["note"], body["note_visibility"]) == ("second", "shared")
        assert body["local_date"] == created["local_date"] and body["id"] == created["id"]

    def test_date_and_member_never_change(self, couple: Couple, client: TestClient) -> None:
        created = couple.check_in(couple.alex_headers).json()
        for extra in ({"local_date": "2026-01-01"}, {"member_id": couple.blake.id}):
            response = client.put(
                f"/v1/check-ins/{created['id']}",
                json={"ratings": RATINGS, **extra},
                headers=couple.alex_headers,
            )
            assert response.status_code == 422

    def test_partner_cannot_replace(self, couple: Couple, client: TestClient) -> None:
        created = couple.check_in(couple.alex_headers).json()
        response = client.put(
            f"/v1/check-ins/{created['id']}",
            json={"ratings": RATINGS},
            headers=couple.blake_headers,
        )
        assert response.status_code == 403
        assert response.json()["code"] == "not_check_in_author"

    def test_locked_after_the_next_day(self, couple: Couple, client: TestClient) -> None:
        today = today_of(couple.alex)
        yesterday = couple.check_in(
            couple.alex_headers, local_date=(today - timedelta(days=1)).isoformat()
        ).json()
        older = couple.check_in(
            couple.alex_headers, local_date=(today - timedelta(days=2)).isoformat()
        ).json()
        ok = client.put(
            f"/v1/check-ins/{yesterday['id']}",
            json={"ratings": RATINGS},
            headers=couple.alex_headers,
        )
        assert ok.status_code == 200
        locked = client.put(
            f"/v1/check-ins/{older['id']}", json={"ratings": RATINGS}, headers=couple.alex_headers
        )
        assert locked.status_code == 409
        assert locked.json()["code"] == "check_in_locked"


class TestDeleteCheckIn:
    def test_author_and_tenant_only(
        self, couple: Couple, client: TestClient, session: Session
    ) -> None:
        mine = couple.check_in(couple.alex_headers).json()
        assert (
            client.delete(f"/v1/check-ins/{mine['id']}", headers=couple.blake_headers).status_code
            == 403
        )
        assert (
            client.delete(f"/v1/check-ins/{mine['id']}", headers=couple.alex_headers).status_code
            == 204
        )
        assert session.get(CheckIn, mine["id"]) is None
        theirs = couple.check_in(couple.blake_headers).json()
        assert client.delete(f"/v1/check-ins/{theirs['id']}", headers=couple.key).status_code == 204


class TestListCheckIns:
    def test_filters_order_and_pages(self, couple: Couple, client: TestClient) -> None:
        today = date.fromisoformat(couple.shared_day())
        days = [(today - timedelta(days=n)).isoformat() for n in range(5)]
        for day in days:
            couple.check_in(couple.alex_headers, local_date=day)
        couple.check_in(couple.blake_headers, local_date=days[0])
        url = f"/v1/couples/{couple.id}/check-ins"
        newest = client.get(
            url, params={"member_id": couple.alex.id, "limit": 2}, headers=couple.key
        ).json()
        assert [c["local_date"] for c in newest["data"]] == days[:2]
        following = client.get(
            url,
            params={"member_id": couple.alex.id, "limit": 2, "cursor": newest["next_cursor"]},
            headers=couple.key,
        ).json()
        assert [c["local_date"] for c in following["data"]] == days[2:4]
        ascending = client.get(
            url,
            params={"order": "asc", "from": days[3], "to": days[1], "member_id": couple.alex.id},
            headers=couple.key,
        ).json()
        assert [c["local_date"] for c in ascending["data"]] == [days[3], days[2], days[1]]
        both = client.get(url, params={"from": days[0]}, headers=couple.key).json()
        assert {c["member_id"] for c in both["data"]} == {couple.alex.id, couple.blake.id}


class TestMutualReveal:
    def test_from_both_sides(self, couple: Couple, client: TestClient) -> None:
        url = f"/v1/couples/{couple.id}/check-ins"
        day = couple.shared_day()
        alex = couple.check_in(
            couple.alex_headers,
            local_date=day,
            closeness=5,
            note_visibility="shared",
            note="We laughed a lot.",
        ).json()

        seen_by_blake = client.get(
            f"/v1/check-ins/{alex['id']}", headers=couple.blake_headers
        ).json()
        assert seen_by_blake["revealed"] is False
        assert seen_by_blake["member_id"] == couple.alex.id
        assert (seen_by_blake["ratings"], seen_by_blake["closeness"], seen_by_blake["moments"]) == (
            None,
            None,
            None,
        )
        assert seen_by_blake["note"] is None
        listed = client.get(url, headers=couple.blake_headers).json()["data"]
        assert [(c["member_id"], c["revealed"], c["ratings"]) for c in listed] == [
            (couple.alex.id, False, None)
        ]

        blake = couple.check_in(couple.blake_headers, local_date=day, closeness=3).json()
        seen_by_blake = client.get(
            f"/v1/check-ins/{alex['id']}", headers=couple.blake_headers
        ).json()
        assert seen_by_blake["revealed"] is True
        assert seen_by_blake["ratings"]["support"] == 5 and seen_by_blake["closeness"] == 5
        assert seen_by_blake["note"] == "We laughed a lot."
        seen_by_alex = client.get(
            f"/v1/check-ins/{blake['id']}", headers=couple.alex_headers
        ).json()
        assert seen_by_alex["revealed"] is True and seen_by_alex["closeness"] == 3

    def test_other_days_stay_hidden(self, couple: Couple, client: TestClient) -> None:
        today = today_of(couple.blake)
        yesterday = (today_of(couple.alex) - timedelta(days=1)).isoformat()
        couple.check_in(couple.alex_headers, local_date=yesterday)
        couple.check_in(couple.blake_headers, local_date=today.isoformat())
        listed = client.get(
            f"/v1/couples/{couple.id}/check-ins", headers=couple.blake_headers
        ).json()["data"]
        alex_rows = [c for c in listed if c["member_id"] == couple.alex.id]
        if yesterday != today.isoformat():
            assert [c["revealed"] for c in alex_rows] == [False]


class TestNotePrivacy:
    def test_private_note_never_reaches_the_partner(
        self, couple: Couple, client: TestClient, session: Session
    ) -> None:
        secret = "I am worried about money, not ready to say it."
        day = couple.shared_day()
        alex = couple.check_in(couple.alex_headers, local_date=day, note=secret).json()
        couple.check_in(couple.blake_headers, local_date=day)
        responses = [
            client.get(f"/v1/check-ins/{alex['id']}", headers=couple.blake_headers),
            client.get(f"/v1/couples/{couple.id}/check-ins", headers=couple.blake_headers),
            client.get(
                f"/v1/couples/{couple.id}/check-ins",
                params={"include_notes": True},
                headers=couple.blake_headers,
            ),
            client.put(
                f"/v1/check-ins/{alex['id']}",
                json={"ratings": RATINGS, "note": secret},
                headers=couple.blake_headers,
            ),
            client.delete(f"/v1/check-ins/{alex['id']}", headers=couple.blake_headers),
            client.get(f"/v1/members/{couple.blake.id}/export", headers=couple.key),
        ]
        for response in responses:
            assert secret not in response.text
        revealed = responses[0].json()
        assert (
            revealed["revealed"] is True
            and revealed["note"] is None
            and revealed["note_visibility"] is None
        )

    def test_tenant_reads_notes_only_when_asking(self, couple: Couple, client: TestClient) -> None:
        couple.check_in(couple.alex_headers, note="private words")
        couple.check_in(couple.blake_headers, note="shared words", note_visibility="shared")
        url = f"/v1/couples/{couple.id}/check-ins"
        plain = client.get(url, headers=couple.key).json()["data"]
        assert {c["note"] for c in plain} == {None}
        with_notes = client.get(url, params={"include_notes": True}, headers=couple.key).json()[
            "data"
        ]
        assert {c["note"] for c in with_notes} == {"private words", "shared words"}

    def test_export_holds_own_notes(self, couple: Couple, client: TestClient) -> None:
        couple.check_in(couple.alex_headers, note="mine to keep")
        couple.check_in(couple.blake_headers, note="blake's own", note_visibility="shared")
        export = client.get(f"/v1/members/{couple.alex.id}/export", headers=couple.key).json()
        assert [c["note"] for c in export["check_ins"]] == ["mine to keep"]
        assert "blake's own" not in str(export)


class TestCryptoShredding:
    def test_erased_members_text_is_unreadable(
        self, couple: Couple, client: TestClient, session: Session, settings: Settings
    ) -> None:
        alex_id = couple.alex.id
        created = couple.check_in(couple.alex_headers, note="only for me").json()
        row = session.get(CheckIn, created["id"])
        assert row is not None and row.note_ciphertext is not None
        backup = bytes(row.note_ciphertext)  # what a database backup would still hold
        ring = encryption.keyring(settings)
        context = f"check_in:{created['id']}:note"
        assert encryption.decrypt(session, ring, alex_id, backup, context) == "only for me"

        assert client.delete(f"/v1/members/{alex_id}", headers=couple.key).status_code == 204
        session.expire_all()
        assert session.get(MemberKey, alex_id) is None
        assert session.get(CheckIn, created["id"]) is None
        with pytest.raises(encryption.TextUnreadable):
            encryption.decrypt(session, ring, alex_id, backup, context)

    def test_master_key_rotation_rewraps_without_touching_texts(
        self, couple: Couple, session: Session, settings: Settings
    ) -> None:
        from app.encryption.keyring import Keyring

        created = couple.check_in(couple.alex_headers, note="rotate me").json()
        row = session.get(CheckIn, created["id"])
        assert row is not None and row.note_ciphertext is not None
        before = bytes(row.note_ciphertext)
        old = encryption.keyring(settings)
        new = Keyring(current=b"n" * 32, previous=(old.current,))
        assert encryption.rewrap_all(session, new) >= 1
        assert encryption.rewrap_all(session, new) == 0
        only_new = Keyring(current=b"n" * 32)
        context = f"check_in:{created['id']}:note"
        assert encryption.decrypt(session, only_new, couple.alex.id, before, context) == "rotate me"
        session.refresh(row)
        assert row.note_ciphertext == before
        with pytest.raises(encryption.TextUnreadable):
            encryption.decrypt(session, old, couple.alex.id, before, context)
