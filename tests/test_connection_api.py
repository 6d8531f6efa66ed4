"""The connection endpoints over real check-ins: shape, who may read, and recommendations."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.checkins.models import CheckIn
from app.core.config import Settings
from app.core.ids import new_id
from app.couples.models import Couple as CoupleRow
from app.deliveries import service as deliveries_service
from app.scoring import model
from app.scoring import service as scoring_service
from tests.factories import TenantWithKeys, bearer, make_member, member_token


class Paired:
    def __init__(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        self.alex = make_member(session, tenant_id=tenant.id, display_name="Alex")
        self.blake = make_member(session, tenant_id=tenant.id, display_name="Blake")
        key = tenant.headers()
        code = client.post("/v1/invites", json={"inviter_id": self.alex.id}, headers=key).json()[
            "code"
        ]
        self.id = client.post(
            f"/v1/invites/{code}/accept", json={"member_id": self.blake.id}, headers=key
        ).json()["id"]
        self.key = key
        self.alex_token = bearer(member_token(settings, self.alex))
        self.session = session
        self.tenant_id = tenant.id

    def history(
        self, days: int, *, listening: int = 4, others: int = 4, end: date | None = None
    ) -> date:
        """Both partners check in every day for `days` days, ending today (UTC members)."""
        today = end or scoring_service.couple_today(
            self.session, self.session.get_one(CoupleRow, self.id)
        )
        for n in range(days):
            for member in (self.alex, self.blake):
                self.session.add(
                    CheckIn(
                        id=new_id("chk"),
                        tenant_id=self.tenant_id,
                        livemode=False,
                        couple_id=self.id,
                        member_id=member.id,
                        local_date=today - timedelta(days=n),
                        openness=others,
                        listening=listening,
                        vulnerability=others,
                        support=others,
                        safety=others,
                        appreciation=others,
                        quality_time=others,
                        closeness=5,
                    )
                )
        self.session.flush()
        return today


@pytest.fixture
def couple(
    client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
) -> Paired:
    return Paired(client, session, settings, tenant)


class TestGetConnection:
    def test_without_data(self, client: TestClient, couple: Paired) -> None:
        body = client.get(f"/v1/couples/{couple.id}/connection", headers=couple.key).json()
        assert body["score"] is None
        assert body["status"] == "insufficient_data"
        assert body["trend"]["direction"] == "insufficient_data"
        assert body["signals"] == [] and body["recommendations"] == []
        assert body["data_points"] == 0
        assert body["model_version"] == model.MODEL_VERSION
        assert body["window"]["days"] == 28

    def test_full_answer(self, client: TestClient, couple: Paired) -> None:
        today = couple.history(42, listening=2, others=4)
        response = client.get(f"/v1/couples/{couple.id}/connection", headers=couple.alex_token)
        assert response.status_code == 200
        body = response.json()
        # Every day: six core ratings of 4 and one of 2 → mean 26/7 → 67.9 points.
        assert body["score"] == pytest.approx(67.9, abs=0.05)
        assert body["status"] == "ok"
        assert body["trend"]["direction"] == "stable"
        assert body["trend"]["slope_per_week"] == 0.0
        assert set(body["dimensions"]) == set(model.DIMENSIONS)
        assert body["dimensions"]["listening"]["score"] == 25.0
        assert body["dimensions"]["listening"]["gap"] == 0.0
        assert body["dimensions"]["conflict_repair"]["score"] is None
        assert [p["member_id"] for p in body["partners"]] == [couple.alex.id, couple.blake.id]
        assert body["partners"][0]["participation"] == 1.0
        assert body["partners"][0]["streak_days"] == 42
        assert body["partners"][0]["last_check_in"] == today.isoformat()
        assert body["data_points"] == 56
        assert body["window"] == {
            "from": (today - timedelta(days=27)).isoformat(),
            "to": today.isoformat(),
            "days": 28,
        }
        first = body["recommendations"][0]
        assert first["dimension"] == "listening"
        assert "listening" in first["prompt"]["dimensions"]
        assert "lowest" in first["reason"]
        assert len({r["prompt"]["id"] for r in body["recommendations"]}) == len(
            body["recommendations"]
        )
        again = client.get(f"/v1/couples/{couple.id}/connection", headers=couple.key).json()
        assert [r["prompt"]["id"] for r in again["recommendations"]] == [
            r["prompt"]["id"] for r in body["recommendations"]
        ]

    def test_recommendations_skip_recent_deliveries(
        self, client: TestClient, couple: Paired
    ) -> None:
        couple.history(30, listening=1, others=5)
        first = client.get(f"/v1/couples/{couple.id}/connection", headers=couple.key).json()
        recommended = first["recommendations"][0]["prompt"]["id"]
        client.post(
            f"/v1/couples/{couple.id}/deliveries",
            json={"prompt_id": recommended},
            headers=couple.key,
        )
        after = client.get(f"/v1/couples/{couple.id}/connection", headers=couple.key).json()
        assert recommended not in [r["prompt"]["id"] for r in after["recommendations"]]

    def test_stale_when_the_newest_check_in_is_older_than_28_days(
        self, client: TestClient, couple: Paired
    ) -> None:
        today = scoring_service.couple_today(
            couple.session, couple.session.get_one(CoupleRow, couple.id)
        )
        couple.history(5, end=today - timedelta(days=35))
        body = client.get(f"/v1/couples/{couple.id}/connection", headers=couple.key).json()
        assert (body["score"], body["status"], body["data_points"]) == (None, "stale", 0)
        wide = client.get(
            f"/v1/couples/{couple.id}/connection", params={"window_days": 60}, headers=couple.key
        ).json()
        assert wide["status"] == "stale" and wide["score"] == 75.0

    def test_window_and_as_of(self, client: TestClient, couple: Paired) -> None:
        today = couple.history(10)
        url = f"/v1/couples/{couple.id}/connection"
        past = client.get(
            url,
            params={"as_of": (today - timedelta(days=5)).isoformat(), "window_days": 7},
            headers=couple.key,
        ).json()
        assert past["data_points"] == 10 and past["window"]["days"] == 7
        for params in (
            {"window_days": 6},
            {"window_days": 366},
            {"as_of": (today + timedelta(days=2)).isoformat()},
        ):
            response = client.get(url, params=params, headers=couple.key)
            assert response.status_code == 422

    def test_who_may_read(
        self,
        client: TestClient,
        couple: Paired,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
    ) -> None:
        url = f"/v1/couples/{couple.id}/connection"
        stranger = bearer(member_token(settings, make_member(session, tenant_id=tenant.id)))
        assert client.get(url, headers=stranger).status_code == 404
        assert client.get(url, headers=other_tenant.headers()).status_code == 404
        assert client.get(url).status_code == 401


class TestConnectionSeries:
    def test_days_and_weeks(self, client: TestClient, couple: Paired) -> None:
        today = couple.history(14)
        url = f"/v1/couples/{couple.id}/connection/series"
        days = client.get(
            url,
            params={"from": (today - timedelta(days=20)).isoformat(), "to": today.isoformat()},
            headers=couple.alex_token,
        ).json()
        assert days["granularity"] == "day" and len(days["points"]) == 21
        assert days["points"][0] == {
            "period": (today - timedelta(days=20)).isoformat(),
            "score": None,
            "smoothed": None,
            "check_ins": 0,
        }
        assert days["points"][-1]["score"] == 75.0 and days["points"][-1]["check_ins"] == 2
        weeks = client.get(
            url,
            params={
                "granularity": "week",
                "from": (today - timedelta(days=20)).isoformat(),
                "to": today.isoformat(),
            },
            headers=couple.key,
        ).json()
        assert all(date.fromisoformat(p["period"]).weekday() == 0 for p in weeks["points"])
        assert sum(p["check_ins"] for p in weeks["points"]) == 28

    def test_bad_ranges(self, client: TestClient, couple: Paired) -> None:
        url = f"/v1/couples/{couple.id}/connection/series"
        for params in (
            {"from": "2026-02-01", "to": "2026-01-01"},
            {"from": "2024-01-01", "to": "2026-01-01"},
            {"granularity": "month"},
        ):
            response = client.get(url, params=params, headers=couple.key)
            assert response.status_code == 422


class TestDeliveriesFollowTheScore:
    def test_weights_favor_the_weakest_dimension(self, couple: Paired) -> None:
        couple.history(30, listening=1, others=5)
        weights = scoring_service.delivery_weights(
            couple.session, couple.session.get_one(CoupleRow, couple.id)
        )
        assert weights["listening"] == 5.0
        assert weights["openness"] == 1.0

    def test_weighted_draw(self) -> None:
        candidates = [("prm_listen", ["listening"]), ("prm_open", ["openness"])]
        draws = [
            deliveries_service._choose(candidates, {"listening": 5.0, "openness": 1.0})
            for _ in range(3000)
        ]
        share = draws.count("prm_listen") / len(draws)
        assert 0.78 < share < 0.88  # expected 5/6
