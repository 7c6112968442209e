"""The facts behind a health figure, and who may read each one.

A fact is a sentence a person can check ("3 of 4 service periods met their SLA (75%)") with a
kind saying what it rests on. Some kinds are IT's working notes, not the business's to read:
meeting sentiment (how IT read a meeting) and stakeholder analysis (who IT rates as influential,
how often IT means to meet them). Their visibility is `analysis`, and whether a user reads them
is the register's one rule, `stakeholders.permissions.may_see_analysis` (IT-side roles yes,
business leaders no). The unit page, its PDF and the API all filter through `visible_facts`.

Stored shape (in `HealthSnapshot.components[*]["facts"]`):
`{"text": str, "kind": "figure" | "sentiment" | "analysis" | "watermelon",
  "visibility": "everyone" | "analysis"}`. A legacy plain string (a snapshot stored before facts
had kinds, and not migrated) is treated as `analysis`: shown to IT only, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict

from stakeholders.permissions import may_see_analysis

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from brm.health.models import HealthSnapshot


class FactKind(StrEnum):
    FIGURE = "figure"  # a count or share anyone with the page may check
    SENTIMENT = "sentiment"  # how IT read its meetings
    ANALYSIS = "analysis"  # rests on stakeholder analysis (influence, interest, quadrant)
    WATERMELON = "watermelon"  # why the unit is a watermelon (visibility per signal)


class Visibility(StrEnum):
    EVERYONE = "everyone"  # whoever may see the unit's health
    ANALYSIS = "analysis"  # only who `may_see_analysis`


KIND_VISIBILITY = {
    FactKind.FIGURE: Visibility.EVERYONE,
    FactKind.SENTIMENT: Visibility.ANALYSIS,
    FactKind.ANALYSIS: Visibility.ANALYSIS,
    FactKind.WATERMELON: Visibility.EVERYONE,
}

WATERMELON_PREFIX = "Watermelon (SLAs green): "


class StoredFact(TypedDict):
    text: str
    kind: str
    visibility: str


@dataclass(frozen=True)
class Fact:
    """One checkable sentence behind a figure; `visibility` defaults to its kind's."""

    text: str
    kind: FactKind = FactKind.FIGURE
    visibility: Visibility | None = None

    def __post_init__(self) -> None:
        if self.visibility is None:
            object.__setattr__(self, "visibility", KIND_VISIBILITY[self.kind])

    def __str__(self) -> str:
        return self.text

    def stored(self) -> StoredFact:
        return {"text": self.text, "kind": str(self.kind), "visibility": str(self.visibility)}


def load(value: Any) -> StoredFact:
    """A stored fact in its current shape; a legacy string is IT's only (see the module)."""
    if isinstance(value, dict):
        return {
            "text": str(value.get("text", "")),
            "kind": str(value.get("kind", FactKind.FIGURE)),
            "visibility": str(value.get("visibility", Visibility.ANALYSIS)),
        }
    return {"text": str(value), "kind": FactKind.FIGURE, "visibility": Visibility.ANALYSIS}


def may_read(user: AnyUser | None, fact: StoredFact) -> bool:
    """Whether `user` reads this fact: everyone's facts, and analysis ones if they may see
    analysis (any other visibility value is refused)."""
    if fact["visibility"] == Visibility.EVERYONE:
        return True
    return fact["visibility"] == Visibility.ANALYSIS and may_see_analysis(user)


def visible_facts(facts: list[Any], user: AnyUser | None) -> list[StoredFact]:
    """The stored facts `user` may read, in order."""
    return [f for f in map(load, facts) if may_read(user, f)]


def visible_components(snapshot: HealthSnapshot, user: AnyUser | None) -> list[dict[str, Any]]:
    """The snapshot's component rows (key, label, weight, value, facts) with only the facts
    `user` may read; `data` (the engine's working figures) is left out. No query."""
    return [
        {
            "key": row["key"],
            "label": row["label"],
            "weight": row["weight"],
            "value": row["value"],
            "facts": visible_facts(row.get("facts", []), user),
        }
        for row in snapshot.components
    ]


def watermelon_reasons(snapshot: HealthSnapshot, user: AnyUser | None) -> list[str]:
    """Why the unit is a watermelon, reason by reason, as far as `user` may read (a fall of
    meeting sentiment is IT's to read). No query."""
    if not snapshot.watermelon:
        return []
    return [
        f["text"].removeprefix(WATERMELON_PREFIX)
        for row in snapshot.components
        for f in visible_facts(row.get("facts", []), user)
        if f["kind"] == FactKind.WATERMELON
    ]
