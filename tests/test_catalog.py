"""The catalog API: built-ins for everyone, a tenant's own catalogs only for itself."""

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.catalog.content import builtin_id
from app.catalog.models import Catalog, Prompt, PromptDimension
from app.core.config import Settings
from tests.factories import TenantWithKeys, bearer, make_member, member_token

BUILTIN_CATALOG = builtin_id("cat", "listening-well")
BUILTIN_PROMPT_SLUG = "listening-fix-versus-hear"


def builtin_prompt_count(session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(Prompt)
        .where(col(Prompt.tenant_id).is_(None), col(Prompt.archived_at).is_(None))
    ).one()


def all_pages(client: TestClient, path: str, headers: dict[str, str], **params: str) -> list[dict]:  # type: ignore[type-arg]
    items: list[dict] = []  # type: ignore[type-arg]
    cursor: str | None = None
    while True:
        query: dict[str, str | int] = {**params, "limit": 100}
        if cursor:
            query["cursor"] = cursor
        page = client.get(path, params=query, headers=headers).json()
        items += page["data"]
        if not page["has_more"]:
            return items
        cursor = page["next_cursor"]


def make_own_catalog(client: TestClient, tenant: TenantWithKeys, *, livemode: bool = False) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/v1/catalogs",
        json={"title": "Our Rituals", "description": "House prompts"},
        headers=tenant.headers(livemode=livemode),
    )
    assert response.status_code == 201
    return response.json()  # type: ignore[no-any-return]


PROMPT_BODY = {
    "text": "What small ritual would you like us to start this month?",
    "category": "improving_intimacy",
    "dimensions": ["quality_time", "openness"],
    "depth": "light",
    "kind": "question",
    "tags": ["rituals"],
}


class TestListCatalogs:
    def test_builtins_for_key_and_member_token(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        for headers in (tenant.headers(), bearer(member_token(settings, member))):
            catalogs = all_pages(client, "/v1/catalogs", headers)
            builtins = [c for c in catalogs if c["builtin"]]
            assert len(builtins) >= 8
            listening = next(c for c in builtins if c["id"] == BUILTIN_CATALOG)
            assert listening["slug"] == "listening-well"
            assert listening["prompt_count"] > 20
            assert listening["locale"] == "en"
            assert listening["livemode"] is False

    def test_own_catalogs_isolated_by_tenant_and_mode(
        self, client: TestClient, tenant: TenantWithKeys, other_tenant: TenantWithKeys
    ) -> None:
        mine = make_own_catalog(client, tenant)
        assert mine["builtin"] is False and mine["prompt_count"] == 0
        ids = {c["id"] for c in all_pages(client, "/v1/catalogs", tenant.headers())}
        assert mine["id"] in ids
        for headers in (other_tenant.headers(), tenant.headers(livemode=True)):
            ids = {c["id"] for c in all_pages(client, "/v1/catalogs", headers)}
            assert mine["id"] not in ids
            assert BUILTIN_CATALOG in ids
            assert client.get(f"/v1/catalogs/{mine['id']}", headers=headers).status_code == 404

    def test_locale_filter(self, client: TestClient, tenant: TenantWithKeys) -> None:
        assert all_pages(client, "/v1/catalogs", tenant.headers(), locale="fr") == []
        response = client.get(
            "/v1/catalogs", params={"locale": "english"}, headers=tenant.headers()
        )
        assert response.status_code == 422


class TestGetCatalog:
    def test_builtin(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.get(
            f"/v1/catalogs/{BUILTIN_CATALOG}", headers=tenant.headers(livemode=True)
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "id",
            "slug",
            "title",
            "description",
            "locale",
            "builtin",
            "prompt_count",
            "livemode",
            "created_at",
            "updated_at",
        }
        assert body["title"] == "Listening Well"
        assert body["livemode"] is True

    def test_unknown(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.get("/v1/catalogs/cat_nope", headers=tenant.headers())
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


class TestChangeCatalogs:
    def test_builtins_are_read_only(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        headers = tenant.headers()
        for response in (
            client.patch(
                f"/v1/catalogs/{BUILTIN_CATALOG}", json={"title": "Mine"}, headers=headers
            ),
            client.delete(f"/v1/catalogs/{BUILTIN_CATALOG}", headers=headers),
            client.post(
                f"/v1/catalogs/{BUILTIN_CATALOG}/prompts", json=PROMPT_BODY, headers=headers
            ),
        ):
            assert response.status_code == 403
            assert response.json()["code"] == "catalog_read_only"
        catalog = session.get(Catalog, BUILTIN_CATALOG)
        assert catalog is not None
        assert catalog.title == "Listening Well" and catalog.archived_at is None

    def test_member_token_cannot_write(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        own = make_own_catalog(client, tenant)
        member = make_member(session, tenant_id=tenant.id)
        headers = bearer(member_token(settings, member))
        for response in (
            client.post("/v1/catalogs", json={"title": "X"}, headers=headers),
            client.patch(f"/v1/catalogs/{own['id']}", json={"title": "Y"}, headers=headers),
            client.post(f"/v1/catalogs/{own['id']}/prompts", json=PROMPT_BODY, headers=headers),
        ):
            assert response.status_code == 403
            assert response.json()["code"] == "forbidden_for_member_token"

    def test_update_and_archive(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        own = make_own_catalog(client, tenant)
        prompt = client.post(
            f"/v1/catalogs/{own['id']}/prompts", json=PROMPT_BODY, headers=tenant.headers()
        ).json()
        updated = client.patch(
            f"/v1/catalogs/{own['id']}", json={"title": "Evenings"}, headers=tenant.headers()
        )
        assert updated.status_code == 200
        assert updated.json()["title"] == "Evenings"
        assert updated.json()["prompt_count"] == 1

        assert (
            client.delete(f"/v1/catalogs/{own['id']}", headers=tenant.headers()).status_code == 204
        )
        assert client.get(f"/v1/catalogs/{own['id']}", headers=tenant.headers()).status_code == 404
        assert (
            client.get(f"/v1/prompts/{prompt['id']}", headers=tenant.headers()).status_code == 404
        )
        row = session.get(Prompt, prompt["id"])
        assert row is not None and row.archived_at is not None  # archived, not deleted

    def test_other_tenant_cannot_touch(
        self, client: TestClient, tenant: TenantWithKeys, other_tenant: TenantWithKeys
    ) -> None:
        own = make_own_catalog(client, tenant)
        response = client.patch(
            f"/v1/catalogs/{own['id']}", json={"title": "Taken"}, headers=other_tenant.headers()
        )
        assert response.status_code == 404

    def test_validation(self, client: TestClient, tenant: TenantWithKeys) -> None:
        for body in ({}, {"title": ""}, {"title": "x" * 121}, {"title": "T", "builtin": True}):
            response = client.post("/v1/catalogs", json=body, headers=tenant.headers())
            assert response.status_code == 422


class TestListPrompts:
    def test_lists_every_builtin_once(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        prompts = all_pages(client, "/v1/prompts", tenant.headers())
        ids = [p["id"] for p in prompts]
        assert len(ids) == len(set(ids)) == builtin_prompt_count(session)

    def test_filters(self, client: TestClient, session: Session, tenant: TenantWithKeys) -> None:
        headers = tenant.headers()
        deep_activities = all_pages(client, "/v1/prompts", headers, depth="deep", kind="activity")
        assert deep_activities
        assert all(p["depth"] == "deep" and p["kind"] == "activity" for p in deep_activities)

        repair = all_pages(client, "/v1/prompts", headers, dimension="conflict_repair")
        expected = session.exec(
            select(func.count())
            .select_from(PromptDimension)
            .join(Prompt, col(Prompt.id) == col(PromptDimension.prompt_id))
            .where(
                PromptDimension.dimension == "conflict_repair", col(Prompt.archived_at).is_(None)
            )
        ).one()
        assert len(repair) == expected >= 20
        assert all("conflict_repair" in p["dimensions"] for p in repair)

        warning = all_pages(client, "/v1/prompts", headers, category="warning_signs")
        assert warning and all(p["category"] == "warning_signs" for p in warning)

        one_catalog = all_pages(client, "/v1/prompts", headers, catalog_id=BUILTIN_CATALOG)
        assert one_catalog and {p["catalog_id"] for p in one_catalog} == {BUILTIN_CATALOG}

        assert all_pages(client, "/v1/prompts", headers, locale="fr") == []

    def test_unknown_filter_value(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.get(
            "/v1/prompts", params={"depth": "bottomless"}, headers=tenant.headers()
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "#/query/depth"

    def test_own_prompts_only_for_owner(
        self, client: TestClient, tenant: TenantWithKeys, other_tenant: TenantWithKeys
    ) -> None:
        own = make_own_catalog(client, tenant)
        created = client.post(
            f"/v1/catalogs/{own['id']}/prompts", json=PROMPT_BODY, headers=tenant.headers()
        ).json()
        mine = all_pages(client, "/v1/prompts", tenant.headers(), catalog_id=own["id"])
        assert [p["id"] for p in mine] == [created["id"]]
        for headers in (other_tenant.headers(), tenant.headers(livemode=True)):
            assert all_pages(client, "/v1/prompts", headers, catalog_id=own["id"]) == []
            assert created["id"] not in {p["id"] for p in all_pages(client, "/v1/prompts", headers)}


class TestPrompts:
    def test_get_builtin(self, client: TestClient, tenant: TenantWithKeys) -> None:
        prompt_id = builtin_id("prm", BUILTIN_PROMPT_SLUG)
        response = client.get(f"/v1/prompts/{prompt_id}", headers=tenant.headers())
        assert response.status_code == 200
        body = response.json()
        assert body["slug"] == BUILTIN_PROMPT_SLUG
        assert body["catalog_id"] == BUILTIN_CATALOG
        assert body["builtin"] is True
        assert body["idea"] == "active_listening"
        assert body["category"] == "building_intimacy"
        assert "listening" in body["dimensions"]

    def test_create_with_slug_from_text(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        own = make_own_catalog(client, tenant)
        first = client.post(
            f"/v1/catalogs/{own['id']}/prompts", json=PROMPT_BODY, headers=tenant.headers()
        )
        assert first.status_code == 201
        body = first.json()
        assert body["slug"] == "what-small-ritual-would-you-like-us-to-start-this-month"
        assert body["locale"] == "en" and body["builtin"] is False and body["livemode"] is False
        assert body["dimensions"] == ["quality_time", "openness"]
        second = client.post(
            f"/v1/catalogs/{own['id']}/prompts", json=PROMPT_BODY, headers=tenant.headers()
        )
        assert second.json()["slug"] == body["slug"] + "-2"
        dims = session.exec(
            select(PromptDimension.dimension).where(PromptDimension.prompt_id == body["id"])
        ).all()
        assert sorted(dims) == ["openness", "quality_time"]

    def test_duplicate_slug_is_409(self, client: TestClient, tenant: TenantWithKeys) -> None:
        own = make_own_catalog(client, tenant)
        body = {**PROMPT_BODY, "slug": "our-ritual"}
        url = f"/v1/catalogs/{own['id']}/prompts"
        assert client.post(url, json=body, headers=tenant.headers()).status_code == 201
        response = client.post(url, json=body, headers=tenant.headers())
        assert response.status_code == 409
        assert response.json()["code"] == "prompt_slug_exists"

    def test_create_validation(self, client: TestClient, tenant: TenantWithKeys) -> None:
        own = make_own_catalog(client, tenant)
        url = f"/v1/catalogs/{own['id']}/prompts"
        for bad in (
            {**PROMPT_BODY, "text": "x" * 280},
            {**PROMPT_BODY, "dimensions": []},
            {**PROMPT_BODY, "dimensions": ["openness", "openness"]},
            {**PROMPT_BODY, "dimensions": ["telepathy"]},
            {**PROMPT_BODY, "category": "romance"},
            {**PROMPT_BODY, "slug": "Not A Slug"},
            {**PROMPT_BODY, "locale": "fr"},
        ):
            assert client.post(url, json=bad, headers=tenant.headers()).status_code == 422

    def test_update_and_archive(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        own = make_own_catalog(client, tenant)
        created = client.post(
            f"/v1/catalogs/{own['id']}/prompts", json=PROMPT_BODY, headers=tenant.headers()
        ).json()
        response = client.patch(
            f"/v1/prompts/{created['id']}",
            json={"text": "Which ritual should we begin?", "dimensions": ["support"]},
            headers=tenant.headers(),
        )
        assert response.status_code == 200
        assert response.json()["text"] == "Which ritual should we begin?"
        assert response.json()["dimensions"] == ["support"]
        support = all_pages(
            client, "/v1/prompts", tenant.headers(), catalog_id=own["id"], dimension="support"
        )
        assert [p["id"] for p in support] == [created["id"]]

        assert (
            client.delete(f"/v1/prompts/{created['id']}", headers=tenant.headers()).status_code
            == 204
        )
        assert (
            client.get(f"/v1/prompts/{created['id']}", headers=tenant.headers()).status_code == 404
        )
        assert all_pages(client, "/v1/prompts", tenant.headers(), catalog_id=own["id"]) == []

    def test_builtin_prompt_read_only(self, client: TestClient, tenant: TenantWithKeys) -> None:
        prompt_id = builtin_id("prm", BUILTIN_PROMPT_SLUG)
        for response in (
            client.patch(
                f"/v1/prompts/{prompt_id}", json={"text": "Changed."}, headers=tenant.headers()
            ),
            client.delete(f"/v1/prompts/{prompt_id}", headers=tenant.headers()),
        ):
            assert response.status_code == 403
            assert response.json()["code"] == "catalog_read_only"
