"""Loading the built-in content: idempotent, edits in place, archives what was removed,
and refuses a broken file whole."""

import json
import shutil
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app import cli
from app.catalog import content
from app.catalog.exceptions import ContentError
from app.catalog.models import Prompt
from app.core import migrations
from app.core.config import get_settings
from app.core.db import make_engine
from tests.conftest import CONTENT_DIR
from tests.factories import TenantWithKeys


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target


def edit(directory: Path, name: str, change: "object") -> None:
    path = directory / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def builtin_rows(session: Session) -> dict[str, Prompt]:
    return {p.id: p for p in session.exec(select(Prompt).where(col(Prompt.tenant_id).is_(None)))}


class TestLoad:
    def test_loading_again_changes_nothing(self, session: Session) -> None:
        before = {i: (p.text, p.updated_at) for i, p in builtin_rows(session).items()}
        report = content.load(session, content.read_directory(CONTENT_DIR))
        assert (report.created, report.updated, report.archived) == (0, 0, 0)
        assert report.unchanged == report.prompts == len(before)
        after = {i: (p.text, p.updated_at) for i, p in builtin_rows(session).items()}
        assert after == before

    def test_edited_text_updates_in_place(self, session: Session, content_copy: Path) -> None:
        def reword(data: dict) -> None:  # type: ignore[type-arg]
            data["prompts"][0]["text"] = "A freshly reworded question for both of you?"

        edit(content_copy, "listening-well", reword)
        slug = yaml.safe_load((content_copy / "listening-well.yaml").read_text())["prompts"][0][
            "slug"
        ]
        report = content.load(session, content.read_directory(content_copy))
        assert (report.created, report.updated, report.archived) == (0, 1, 0)
        row = session.get(Prompt, content.builtin_id("prm", slug))
        assert row is not None
        assert row.text == "A freshly reworded question for both of you?"

    def test_removed_prompt_is_archived_and_comes_back(
        self, session: Session, content_copy: Path, client: TestClient, tenant: TenantWithKeys
    ) -> None:
        removed: dict[str, str] = {}

        def drop_first(data: dict) -> None:  # type: ignore[type-arg]
            removed["slug"] = data["prompts"].pop(0)["slug"]

        edit(content_copy, "safe-to-share", drop_first)
        report = content.load(session, content.read_directory(content_copy))
        assert report.archived == 1
        prompt_id = content.builtin_id("prm", removed["slug"])
        row = session.get(Prompt, prompt_id)
        assert row is not None and row.archived_at is not None
        assert client.get(f"/v1/prompts/{prompt_id}", headers=tenant.headers()).status_code == 404

        report = content.load(session, content.read_directory(CONTENT_DIR))
        assert report.updated == 1
        session.refresh(row)
        assert row.archived_at is None
        assert client.get(f"/v1/prompts/{prompt_id}", headers=tenant.headers()).status_code == 200

    def test_new_dimension_list_is_filterable(self, session: Session, content_copy: Path) -> None:
        def retag(data: dict) -> None:  # type: ignore[type-arg]
            data["prompts"][0]["dimensions"] = ["conflict_repair"]

        edit(content_copy, "time-together", retag)
        content.load(session, content.read_directory(content_copy))
        slug = yaml.safe_load((content_copy / "time-together.yaml").read_text())["prompts"][0][
            "slug"
        ]
        row = session.get(Prompt, content.builtin_id("prm", slug))
        assert row is not None and row.dimensions == ["conflict_repair"]


class TestRefusal:
    def broken(self, directory: Path, name: str, field: str, value: object) -> None:
        def spoil(data: dict) -> None:  # type: ignore[type-arg]
            data["prompts"][2][field] = value

        edit(directory, name, spoil)

    def test_error_names_file_prompt_and_field(self, content_copy: Path) -> None:
        self.broken(content_copy, "noticing-distance", "depth", "abyssal")
        slug = yaml.safe_load((content_copy / "noticing-distance.yaml").read_text())["prompts"][2][
            "slug"
        ]
        with pytest.raises(ContentError) as refused:
            content.read_directory(content_copy)
        message = str(refused.value)
        assert "noticing-distance.yaml" in message
        assert slug in message
        assert "field depth" in message

    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            ("text", "x" * 300, "field text"),
            ("category", "warning_signs", "field category"),
            ("dimensions", ["openness", "telepathy"], "field dimensions"),
            ("colour", "blue", "field colour"),
        ],
    )
    def test_each_kind_of_breakage(
        self, content_copy: Path, field: str, value: object, expected: str
    ) -> None:
        self.broken(content_copy, "time-together", field, value)
        with pytest.raises(ContentError, match=expected):
            content.read_directory(content_copy)

    def test_duplicate_slug_across_files(self, content_copy: Path) -> None:
        other = yaml.safe_load((content_copy / "listening-well.yaml").read_text())["prompts"][0][
            "slug"
        ]
        self.broken(content_copy, "time-together", "slug", other)
        with pytest.raises(ContentError, match="already used in"):
            content.read_directory(content_copy)

    def test_not_yaml(self, content_copy: Path) -> None:
        (content_copy / "zz-broken.yaml").write_text("slug: [unclosed")
        with pytest.raises(ContentError, match=r"zz-broken\.yaml"):
            content.read_directory(content_copy)

    def test_file_name_must_match_slug(self, content_copy: Path) -> None:
        shutil.copy(content_copy / "time-together.yaml", content_copy / "renamed.yaml")
        with pytest.raises(ContentError, match="must match the file name"):
            content.read_directory(content_copy)

    def test_empty_directory(self, tmp_path: Path) -> None:
        with pytest.raises(ContentError, match="no catalog files"):
            content.read_directory(tmp_path)

    def test_cli_refuses_whole_and_writes_nothing(
        self, content_copy: Path, cli_database: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrations.upgrade(cli_database)

        def reword(data: dict) -> None:  # type: ignore[type-arg]
            data["prompts"][0]["text"] = "An edit that must not land?"

        edit(content_copy, "listening-well", reword)
        self.broken(content_copy, "time-together", "kind", "lecture")
        capsys.readouterr()
        assert cli.main(["content", "load", "--directory", str(content_copy)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "time-together.yaml" in err and "field kind" in err
        engine = make_engine(get_settings())
        with Session(engine) as session:
            assert session.exec(select(Prompt)).first() is None

        assert cli.main(["content", "load", "--json"]) == 0
        loaded = json.loads(capsys.readouterr().out.splitlines()[-1])
        with Session(engine) as session:
            assert len(session.exec(select(Prompt)).all()) == loaded["created"] >= 300
        engine.dispose()
