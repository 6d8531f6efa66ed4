"""The fixed words of the catalog, each from the source article (see content/README.md)."""

from enum import StrEnum


class Category(StrEnum):
    recognizing_intimacy = "recognizing_intimacy"
    warning_signs = "warning_signs"
    building_intimacy = "building_intimacy"
    improving_intimacy = "improving_intimacy"


class Dimension(StrEnum):
    openness = "openness"
    listening = "listening"
    vulnerability = "vulnerability"
    support = "support"
    safety = "safety"
    appreciation = "appreciation"
    quality_time = "quality_time"
    conflict_repair = "conflict_repair"


CORE_DIMENSIONS: tuple[Dimension, ...] = tuple(
    d for d in Dimension if d != Dimension.conflict_repair
)


class Depth(StrEnum):
    light = "light"
    medium = "medium"
    deep = "deep"


class Kind(StrEnum):
    question = "question"
    activity = "activity"
    reflection = "reflection"


class Idea(StrEnum):
    open_communication = "open_communication"
    trust_and_vulnerability = "trust_and_vulnerability"
    emotional_support = "emotional_support"
    noticing_distance = "noticing_distance"
    opening_up = "opening_up"
    active_listening = "active_listening"
    being_vulnerable = "being_vulnerable"
    emotional_safety = "emotional_safety"
    appreciation = "appreciation"
    quality_time = "quality_time"
    deep_conversations = "deep_conversations"
    patience_and_consistency = "patience_and_consistency"
    personal_growth = "personal_growth"
    resolving_conflict = "resolving_conflict"


IDEA_CATEGORY: dict[Idea, Category] = {
    Idea.open_communication: Category.recognizing_intimacy,
    Idea.trust_and_vulnerability: Category.recognizing_intimacy,
    Idea.emotional_support: Category.recognizing_intimacy,
    Idea.noticing_distance: Category.warning_signs,
    Idea.opening_up: Category.building_intimacy,
    Idea.active_listening: Category.building_intimacy,
    Idea.being_vulnerable: Category.building_intimacy,
    Idea.emotional_safety: Category.building_intimacy,
    Idea.appreciation: Category.building_intimacy,
    Idea.quality_time: Category.improving_intimacy,
    Idea.deep_conversations: Category.improving_intimacy,
    Idea.patience_and_consistency: Category.improving_intimacy,
    Idea.personal_growth: Category.improving_intimacy,
    Idea.resolving_conflict: Category.improving_intimacy,
}
