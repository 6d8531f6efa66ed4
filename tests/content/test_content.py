"""The built-in content, checked for every rule a machine can check (content/README.md)."""

import itertools
import re
from collections import Counter
from difflib import SequenceMatcher

import pytest
from spellchecker import SpellChecker

from app.catalog import content
from app.catalog.vocabulary import IDEA_CATEGORY, Category, Depth, Dimension, Idea, Kind
from tests.content.coverage_table import CONTENT_DIR

CATALOGS = content.read_directory(CONTENT_DIR)
PROMPTS = [p for c in CATALOGS for p in c.prompts]

# Real words the spell checker's dictionary lacks.
ALLOWED_WORDS = {"emoji", "emojis", "journaling", "playlist", "playlists", "okay", "checkin"}

# Assumptions about gender, family shape, religion or money, and asks that could put someone
# in an abusive relationship at risk (passwords, whereabouts, secrets about others).
BANNED = re.compile(
    r"\b(he|she|him|his|hers|husband|wife|boyfriend|girlfriend|kids?|children|church|god|"
    r"pray|expensive|buy|purchase|dollars?|password|passcode|location|whereabouts|"
    r"phone's messages|confess)\b",
    re.IGNORECASE,
)


def normalized(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


class TestBreadth:
    def test_enough_prompts_and_catalogs(self) -> None:
        assert len(CATALOGS) >= 8
        assert len(PROMPTS) >= 300

    def test_every_dimension_has_twenty_prompts(self) -> None:
        counts = Counter(d for p in PROMPTS for d in p.dimensions)
        assert {d: counts[d] for d in Dimension if counts[d] < 20} == {}

    @pytest.mark.parametrize("category", list(Category))
    def test_every_depth_and_kind_in_every_category(self, category: Category) -> None:
        in_category = [p for p in PROMPTS if p.category == category]
        assert {p.depth for p in in_category} == set(Depth)
        assert {p.kind for p in in_category} == set(Kind)

    def test_every_article_idea_is_covered(self) -> None:
        counts = Counter(p.idea for p in PROMPTS)
        assert {i: counts[i] for i in Idea if counts[i] < 10} == {}

    def test_ideas_sit_in_their_category(self) -> None:
        assert [p.slug for p in PROMPTS if IDEA_CATEGORY[p.idea] != p.category] == []

    def test_english_only_for_now(self) -> None:
        assert {c.locale for c in CATALOGS} == {"en"}


class TestClean:
    def test_texts_are_short_and_tidy(self) -> None:
        bad = [
            p.slug
            for p in PROMPTS
            if len(p.text) >= 280
            or p.text != p.text.strip()
            or "  " in p.text
            or p.text.rstrip("'\"’”")[-1] not in ".?!…"
        ]
        assert bad == []

    def test_no_exact_duplicates(self) -> None:
        counts = Counter(normalized(p.text) for p in PROMPTS)
        assert [t for t, n in counts.items() if n > 1] == []

    def test_no_near_duplicates(self) -> None:
        """Character-level similarity of normalized texts; trigram overlap picks the pairs
        worth the slower SequenceMatcher (pairs 62% alike shared about 30% here;
        texts 75% alike share far more than the 20% kept)."""
        texts = [(p.slug, normalized(p.text)) for p in PROMPTS]
        grams = [frozenset(t[i : i + 3] for i in range(len(t) - 2)) for _, t in texts]
        too_close = []
        for (i, (slug_a, a)), (j, (slug_b, b)) in itertools.combinations(enumerate(texts), 2):
            if len(grams[i] & grams[j]) < 0.2 * len(grams[i] | grams[j]):
                continue
            ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
            if ratio >= 0.75:
                too_close.append((slug_a, slug_b, round(ratio, 2)))
        assert too_close == []

    def test_no_near_duplicate_word_sets(self) -> None:
        sets = [(p.slug, set(normalized(p.text).split())) for p in PROMPTS]
        too_close = [
            (a, b)
            for (a, wa), (b, wb) in itertools.combinations(sets, 2)
            if len(wa & wb) / len(wa | wb) >= 0.7
        ]
        assert too_close == []

    def test_no_spelling_mistakes(self) -> None:
        checker = SpellChecker()
        words = {
            part
            for p in PROMPTS
            for word in re.findall(r"[a-z]+(?:['’][a-z]+)*", p.text.lower())
            for part in [re.split(r"['’]", re.sub(r"n['’]t$", "", word))[0]]
            if len(part) > 2
        }
        unknown = checker.unknown(words) - ALLOWED_WORDS
        assert sorted(unknown) == []

    def test_slugs_are_stable_ids(self) -> None:
        slugs = [p.slug for p in PROMPTS]
        assert len(slugs) == len(set(slugs))
        assert len({content.builtin_id("prm", s) for s in slugs}) == len(slugs)


class TestSafeAndInclusive:
    def test_no_assumptions_or_risky_asks(self) -> None:
        flagged = [(p.slug, m.group(0)) for p in PROMPTS if (m := BANNED.search(p.text))]
        assert flagged == []
