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

Language (issue 17): a fact the engine writes also stores its message id and parameters
(`"msg": "delivery.sla_met", "params": {"met": 3, "total": 4, "pct": 75.0}`), and every reader
(`visible_facts`, hence the page, its PDF and the API; `watermelon_reasons`; the dashboard's and
digest's `watermelon_reason_text`) renders it in the reader's language at display time through
`FACT_MESSAGES`, numbers and dates formatted for that language. `text` keeps the English
sentence (the engine writes it with no language active): the fallback for a fact stored before
message ids, or one whose id a later release dropped, so old snapshots stay readable as they were.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from django.db.models import OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext

from stakeholders.permissions import may_see_analysis

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

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

# How facts stored before message ids begin a watermelon reason shown among perception's facts
# (0004_structured_facts reads it too); a fact with a message id gets the translated prefix.
WATERMELON_PREFIX = "Watermelon (SLAs green): "

# The names of the components and perception signals, in the reader's language; a snapshot
# stores the English label too (the fallback for a key a later release renames).
COMPONENT_NAMES: dict[str, _StrPromise] = {
    "perception": gettext_lazy("How the business feels"),
    "delivery": gettext_lazy("Service delivery (SLAs)"),
    "complaints": gettext_lazy("Complaints"),
    "engagement": gettext_lazy("Engagement"),
    "commitments": gettext_lazy("Promises kept"),
}
SIGNAL_NAMES: dict[str, _StrPromise] = {
    "surveys": gettext_lazy("Survey satisfaction"),
    "sentiment": gettext_lazy("Meeting sentiment"),
    "complaint_ratings": gettext_lazy("Complaint-resolution ratings"),
}


class StoredFact(TypedDict):
    text: str
    kind: str
    visibility: str
    msg: NotRequired[str]
    params: NotRequired[dict[str, Any]]


# --- The sentences, rendered in the active language --------------------------------------------


def _num(value: Any, decimals: int) -> str:
    """`value` with `decimals` places and the language's decimal mark ("3.5", "3,5")."""
    return str(number_format(round(float(value), decimals), decimals))


def _signed(value: Any, decimals: int) -> str:
    """`_num` with its sign always written ("+1.0", "-0.5"), as `format(v, "+.1f")` does."""
    v = round(float(value), decimals)
    return ("-" if v < 0 or str(v).startswith("-") else "+") + _num(abs(v), decimals)


def _day(value: Any) -> str:
    """An ISO date ("2026-03-05") as the language writes it ("5 Mar 2026", "5 Mar 2026")."""
    return str(date_format(date.fromisoformat(str(value)), "j M Y"))


FactRenderer = Callable[[dict[str, Any]], str]
FACT_MESSAGES: dict[str, FactRenderer] = {}


def _message(msg: str) -> Callable[[FactRenderer], FactRenderer]:
    def register(render: FactRenderer) -> FactRenderer:
        FACT_MESSAGES[msg] = render
        return render

    return register


@_message("none")
def _no_data(p: dict[str, Any]) -> str:
    return gettext("No data yet")


@_message("delivery.sla_met")
def _sla_met(p: dict[str, Any]) -> str:
    return gettext("%(met)s of %(total)s service periods met their SLA (%(pct)s%%)") % {
        "met": p["met"],
        "total": p["total"],
        "pct": _num(p["pct"], 0),
    }


@_message("delivery.sla_missed")
def _sla_missed(p: dict[str, Any]) -> str:
    return ngettext(
        "%(service)s missed its SLA in %(n)s period",
        "%(service)s missed its SLA in %(n)s periods",
        int(p["n"]),
    ) % {"service": p["service"], "n": p["n"]}


def _trend(fact: str, now: float, before: float | None, previous: str) -> str:
    """`fact` with ", down from X"/", up from X" when `before` differs by 0.1 or more."""
    if before is None or abs(before - now) < 0.1:
        return fact
    if now < before:
        return gettext("%(fact)s, down from %(previous)s") % {"fact": fact, "previous": previous}
    return gettext("%(fact)s, up from %(previous)s") % {"fact": fact, "previous": previous}


@_message("perception.surveys")
def _surveys(p: dict[str, Any]) -> str:
    parts = []
    csat, previous = p.get("csat"), p.get("csat_previous")
    if csat is not None:
        text = gettext("CSAT %(csat)s") % {"csat": _num(csat, 1)}
        if previous is not None and abs(previous - csat) >= 0.1:
            change = (
                gettext("CSAT %(csat)s (down from %(previous)s)")
                if csat < previous
                else gettext("CSAT %(csat)s (up from %(previous)s)")
            )
            text = change % {"csat": _num(csat, 1), "previous": _num(previous, 1)}
        parts.append(text)
    if p.get("nps") is not None:
        parts.append(gettext("NPS %(nps)s") % {"nps": _signed(p["nps"], 0)})
    return ngettext(
        "%(figures)s from %(n)s survey response",
        "%(figures)s from %(n)s survey responses",
        int(p["n"]),
    ) % {"figures": ", ".join(parts), "n": p["n"]}


@_message("perception.sentiment")
def _sentiment(p: dict[str, Any]) -> str:
    fact = ngettext(
        "Meeting sentiment %(avg)s from %(n)s contact",
        "Meeting sentiment %(avg)s from %(n)s contacts",
        int(p["n"]),
    ) % {"avg": _signed(p["avg"], 1), "n": p["n"]}
    before = p.get("previous")
    return _trend(fact, p["avg"], before, _signed(before, 1) if before is not None else "")


@_message("perception.ratings")
def _ratings(p: dict[str, Any]) -> str:
    fact = ngettext(
        "Complaint resolutions rated %(avg)s/5 (%(n)s rating)",
        "Complaint resolutions rated %(avg)s/5 (%(n)s ratings)",
        int(p["n"]),
    ) % {"avg": _num(p["avg"], 1), "n": p["n"]}
    before = p.get("previous")
    return _trend(fact, p["avg"], before, _num(before, 1) if before is not None else "")


@_message("complaints.open")
def _open_complaints(p: dict[str, Any]) -> str:
    n, severity = int(p["n"]), p["severity"]
    values = {"n": n, "days": p["days"]}
    # One message per severity: in Spanish the adjective agrees ("crítica", "alta").
    if severity == "critical":
        text = ngettext(
            "%(n)s critical complaint open for %(days)s days",
            "%(n)s critical complaints open, oldest %(days)s days",
            n,
        )
    elif severity == "high":
        text = ngettext(
            "%(n)s high complaint open for %(days)s days",
            "%(n)s high complaints open, oldest %(days)s days",
            n,
        )
    elif severity == "medium":
        text = ngettext(
            "%(n)s medium complaint open for %(days)s days",
            "%(n)s medium complaints open, oldest %(days)s days",
            n,
        )
    else:
        text = ngettext(
            "%(n)s low complaint open for %(days)s days",
            "%(n)s low complaints open, oldest %(days)s days",
            n,
        )
    return text % values


@_message("complaints.overdue")
def _complaints_overdue(p: dict[str, Any]) -> str:
    return gettext("%(n)s past the acknowledge or resolve deadline") % {"n": p["n"]}


@_message("complaints.escalated")
def _complaints_escalated(p: dict[str, Any]) -> str:
    return gettext("%(n)s escalated") % {"n": p["n"]}


@_message("complaints.none_open")
def _no_open_complaints(p: dict[str, Any]) -> str:
    return ngettext(
        "No open complaints (%(n)s complaint in the last year)",
        "No open complaints (%(n)s complaints in the last year)",
        int(p["n"]),
    ) % {"n": p["n"]}


@_message("engagement.contacts")
def _contacts(p: dict[str, Any]) -> str:
    return ngettext(
        "%(ok)s of %(n)s high-influence stakeholder met as often as expected",
        "%(ok)s of %(n)s high-influence stakeholders met as often as expected",
        int(p["n"]),
    ) % {"ok": p["ok"], "n": p["n"]}


@_message("engagement.not_met")
def _not_met(p: dict[str, Any]) -> str:
    values = {"name": p["name"], "days": p["days"], "expected": p["expected"]}
    if p["days"] is None:
        return gettext("%(name)s never met (expected every %(expected)s days)") % values
    return gettext("%(name)s not met for %(days)s days (expected every %(expected)s days)") % (
        values
    )


@_message("engagement.review_overdue")
def _review_overdue(p: dict[str, Any]) -> str:
    return ngettext(
        "Service review overdue by %(n)s day", "Service review overdue by %(n)s days", int(p["n"])
    ) % {"n": p["n"]}


@_message("engagement.review_on_schedule")
def _review_on_schedule(p: dict[str, Any]) -> str:
    return gettext("Service reviews on schedule (next due %(date)s)") % {"date": _day(p["due"])}


@_message("commitments.kept")
def _kept(p: dict[str, Any]) -> str:
    return ngettext(
        "%(on_time)s of %(n)s promise due were kept on time",
        "%(on_time)s of %(n)s promises due were kept on time",
        int(p["n"]),
    ) % {"on_time": p["on_time"], "n": p["n"]}


@_message("commitments.late")
def _late(p: dict[str, Any]) -> str:
    return gettext("%(n)s done late") % {"n": p["n"]}


@_message("commitments.overdue")
def _overdue(p: dict[str, Any]) -> str:
    return gettext("%(n)s overdue") % {"n": p["n"]}


@_message("commitments.open")
def _still_open(p: dict[str, Any]) -> str:
    return gettext("%(n)s due today, still open") % {"n": p["n"]}


@_message("commitments.dropped")
def _dropped(p: dict[str, Any]) -> str:
    return gettext("%(n)s dropped") % {"n": p["n"]}


@_message("watermelon.low")
def _watermelon_low(p: dict[str, Any]) -> str:
    return gettext("How the business feels is %(value)s, below %(threshold)s") % {
        "value": _num(p["value"], 0),
        "threshold": p["threshold"],
    }


@_message("watermelon.fell")
def _watermelon_fell(p: dict[str, Any]) -> str:
    return gettext(
        "How the business feels fell %(points)s points against the previous %(days)s days"
    ) % {"points": _num(p["points"], 0), "days": p["days"]}


@_message("watermelon.signal_fell")
def _watermelon_signal_fell(p: dict[str, Any]) -> str:
    return gettext(
        "%(signal)s fell %(points)s points (from %(before)s to %(now)s of 100) against the "
        "previous %(days)s days"
    ) % {
        "signal": SIGNAL_NAMES.get(p["signal"], p["signal"]),
        "points": _num(p["before"] - p["now"], 0),
        "before": _num(p["before"], 0),
        "now": _num(p["now"], 0),
        "days": p["days"],
    }


def render(fact: StoredFact) -> str:
    """A stored fact's sentence in the active language; its stored (English) `text` when it
    has no message id, or one this release does not know, or parameters that do not fit."""
    renderer = FACT_MESSAGES.get(fact.get("msg", ""))
    if renderer is None:
        return fact["text"]
    try:
        return renderer(fact.get("params", {}))
    except (KeyError, TypeError, ValueError):
        return fact["text"]


def _prefix(reason: str) -> str:
    return gettext("Watermelon (SLAs green): %(reason)s") % {"reason": reason}


def _with_prefix(fact: StoredFact) -> str:
    """`render`, with a watermelon reason's prefix when it stands among perception's facts."""
    if fact.get("msg") and fact.get("params", {}).get("prefixed"):
        return _prefix(render(fact))
    return render(fact)


# --- Facts as the engine makes them ------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One checkable sentence behind a figure; `visibility` defaults to its kind's.

    Made by the engine with `Fact.of(msg, **params)`: `text` is then the sentence in the active
    language (English when the engine stores it, see `brm.health.engine`). `Fact(text)` alone is
    a sentence that no language renders again (tests, legacy rows)."""

    text: str
    kind: FactKind = FactKind.FIGURE
    visibility: Visibility | None = None
    msg: str = ""
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.visibility is None:
            object.__setattr__(self, "visibility", KIND_VISIBILITY[self.kind])

    @classmethod
    def of(
        cls,
        msg: str,
        kind: FactKind = FactKind.FIGURE,
        visibility: Visibility | None = None,
        **params: Any,
    ) -> Fact:
        """The fact of message `msg` (a key of FACT_MESSAGES) with `params` (JSON values)."""
        text = FACT_MESSAGES[msg](params)
        return cls(text, kind, visibility, msg, params)

    def __str__(self) -> str:
        return self.text

    def prefixed(self) -> Fact:
        """This watermelon reason as perception's facts list it ("Watermelon (SLAs green): ...")."""
        if not self.msg:
            return Fact(WATERMELON_PREFIX + self.text, self.kind, self.visibility)
        params = {**self.params, "prefixed": True}
        return Fact(_prefix(self.text), self.kind, self.visibility, self.msg, params)

    def stored(self) -> StoredFact:
        fact: StoredFact = {
            "text": self.text,
            "kind": str(self.kind),
            "visibility": str(self.visibility),
        }
        if self.msg:
            fact["msg"], fact["params"] = self.msg, self.params
        return fact


def load(value: Any) -> StoredFact:
    """A stored fact in its current shape; a legacy string is IT's only (see the module)."""
    if isinstance(value, dict):
        fact: StoredFact = {
            "text": str(value.get("text", "")),
            "kind": str(value.get("kind", FactKind.FIGURE)),
            "visibility": str(value.get("visibility", Visibility.ANALYSIS)),
        }
        if value.get("msg") and isinstance(value.get("params"), dict):
            fact["msg"], fact["params"] = str(value["msg"]), value["params"]
        return fact
    return {"text": str(value), "kind": FactKind.FIGURE, "visibility": Visibility.ANALYSIS}


def may_read(user: AnyUser | None, fact: StoredFact) -> bool:
    """Whether `user` reads this fact: everyone's facts, and analysis ones if they may see
    analysis (any other visibility value is refused)."""
    return fact["visibility"] in _visibilities(may_see_analysis(user))


def _visibilities(analysis: bool) -> frozenset[str]:
    """The visibility values a reader reads: everyone's, and analysis when they may see it
    (any other value is refused)."""
    everyone = frozenset({Visibility.EVERYONE.value})
    return everyone | {Visibility.ANALYSIS.value} if analysis else everyone


def visible_facts(facts: list[Any], user: AnyUser | None) -> list[StoredFact]:
    """The stored facts `user` may read, in order, each `text` in the active language."""
    return _readable(facts, may_see_analysis(user))


def _readable(facts: list[Any], analysis: bool) -> list[StoredFact]:
    """`visible_facts` for a reader who may (`analysis`) or may not see analysis: `may_read`'s
    rule with the question asked once, not once per fact."""
    readable = _visibilities(analysis)
    return [
        {"text": _with_prefix(f), "kind": f["kind"], "visibility": f["visibility"]}
        for f in map(load, facts)
        if f["visibility"] in readable
    ]


@cache
def _component_names(language: str | None) -> dict[str, str]:
    """COMPONENT_NAMES in `language`, which must be the active one: read once per language, not
    once per component of every snapshot of a list (the catalogues do not change while the
    process runs)."""
    return {key: str(name) for key, name in COMPONENT_NAMES.items()}


def component_name(row: dict[str, Any]) -> str:
    """A stored component row's name in the active language (its stored label if unknown)."""
    name = _component_names(get_language()).get(row.get("key", ""))
    return name if name is not None else str(row.get("label", ""))


# Rendered component rows by what they are rendered from (issue 14: an API page of 50
# snapshots spent most of its time writing the same sentences again). The key holds the stored
# rows' own content (a digest of them), the language and whether the reader sees analysis: the
# rendering reads nothing else (the catalogues and formats do not change while the process
# runs), so an entry can never be stale or reach a reader of another class, whoever changes a
# snapshot and however. Per process, least recently used first out.
_RENDERED: OrderedDict[tuple[str | None, bool, bytes], list[dict[str, Any]]] = OrderedDict()
_RENDERED_MAX = 4096
_RENDERED_LOCK = threading.Lock()


def components_digest(snapshot: HealthSnapshot) -> bytes:
    """A digest (20 bytes, BLAKE2b) of the snapshot's stored component rows: equal digests, the
    same rows, whichever snapshot holds them and however they were written."""
    stored = json.dumps(snapshot.components, sort_keys=True, default=str).encode()
    return hashlib.blake2b(stored, digest_size=20).digest()


def components_key(snapshot: HealthSnapshot, user: AnyUser | None) -> str:
    """What the unit health page's component cards are rendered from, as one text for the
    template's fragment cache: the language, whether `user` sees analysis (all
    `visible_components` reads) and the components' digest. The page adds the rest (the unit,
    IT's links, print)."""
    digest = components_digest(snapshot).hex()
    return f"{get_language()}:{int(may_see_analysis(user))}:{digest}"


# The stored components as the database's own JSON text, annotated by a list that reads many
# snapshots (`with_components_text`): their digest is taken from that text and it is decoded
# only when the rows are not rendered yet (issue 14: decoding 50 snapshots' components and
# writing them again to digest them was a third of the health API's time at 2,000 units).
COMPONENTS_TEXT = "components_text"


def with_components_text(snapshots: QuerySet[HealthSnapshot]) -> QuerySet[HealthSnapshot]:
    """`snapshots` with their components read as text (`COMPONENTS_TEXT`) instead of decoded:
    `visible_components` reads that. Anything else reading `.components` of these rows costs
    a query each (the field is deferred).

    The text is a one-row subquery of the snapshot itself, not a cast in the select list:
    PostgreSQL evaluates a costly select-list item after ORDER BY ... LIMIT, so only the page's
    rows are cast. The plain cast ran for every row sorted (the health API sorts every unit's
    newest snapshot by unit name): its page query took 118-126 ms at 2,012 units, now 19-22 ms
    (16 ms with no components at all)."""
    own = (
        snapshots.model._default_manager.filter(pk=OuterRef("pk"))
        .order_by()
        .annotate(text=Cast("components", TextField()))
        .values("text")[:1]
    )
    return snapshots.defer("components").annotate(
        **{COMPONENTS_TEXT: Subquery(own, output_field=TextField())}
    )


def visible_components(snapshot: HealthSnapshot, user: AnyUser | None) -> list[dict[str, Any]]:
    """The snapshot's component rows (key, label, weight, value, facts) with only the facts
    `user` may read, label and facts in the active language; `data` (the engine's working
    figures) is left out. No query (for rows of `with_components_text`, none either: their
    text is read). Rows with the same content, language and reader class are rendered once per
    process (`_RENDERED`); each call gets rows and fact lists of its own."""
    analysis = may_see_analysis(user)
    text: str | None = getattr(snapshot, COMPONENTS_TEXT, None)
    # The digest of the database's text and of our own JSON differ for the same content: the
    # key says which it is, so an entry is only ever found by the same content.
    digest = (
        b"t" + hashlib.blake2b(text.encode(), digest_size=20).digest()
        if text is not None
        else components_digest(snapshot)
    )
    key = (get_language(), analysis, digest)
    with _RENDERED_LOCK:
        rows = _RENDERED.get(key)
        if rows is not None:
            _RENDERED.move_to_end(key)
    if rows is None:
        rows = [
            {
                "key": row["key"],
                "label": component_name(row),
                "weight": row["weight"],
                "value": row["value"],
                "facts": _readable(row.get("facts", []), analysis),
            }
            for row in (json.loads(text) if text is not None else snapshot.components)
        ]
        with _RENDERED_LOCK:
            _RENDERED[key] = rows
            while len(_RENDERED) > _RENDERED_MAX:
                _RENDERED.popitem(last=False)
    return [{**row, "facts": [dict(f) for f in row["facts"]]} for row in rows]


def _watermelon_facts(snapshot: HealthSnapshot) -> list[StoredFact]:
    return [
        f
        for row in snapshot.components
        for f in map(load, row.get("facts", []))
        if f["kind"] == FactKind.WATERMELON
    ]


def _reason(fact: StoredFact) -> str:
    """One watermelon reason without perception's prefix, in the active language."""
    return render(fact) if fact.get("msg") else fact["text"].removeprefix(WATERMELON_PREFIX)


def watermelon_reasons(snapshot: HealthSnapshot, user: AnyUser | None) -> list[str]:
    """Why the unit is a watermelon, reason by reason, in the active language, as far as `user`
    may read (a fall of meeting sentiment is IT's to read). No query."""
    if not snapshot.watermelon:
        return []
    return [_reason(f) for f in _watermelon_facts(snapshot) if may_read(user, f)]


def watermelon_reason_text(snapshot: HealthSnapshot) -> str:
    """Every reason the unit is a watermelon in one sentence, in the active language, for IT's
    own pages and emails (dashboard, digest, My relationships: IT-side readers, so every
    reason, as `HealthSnapshot.watermelon_reason` holds them); that stored English sentence for
    a snapshot stored before message ids. Reads `components` (load them: a deferred field costs a
    query each). No query."""
    if not snapshot.watermelon:
        return ""
    facts = _watermelon_facts(snapshot)
    if not facts or not all(f.get("msg") for f in facts):
        return snapshot.watermelon_reason
    return "; ".join(_reason(f) for f in facts)


# --- Why a plan exists, in the reader's language ----------------------------------------------
# A plan stores its reason's message id and parameters (`ImprovementPlan.reason_msg`,
# `reason_params`) beside the English sentence (`reason`), as health facts do:
# `plan_reason_text` renders it when read; a plan stored before, a reason a person typed, or an id
# a later release dropped shows the stored sentence.


def component_in_sentence(key: str) -> str:
    """A component's name inside a sentence: its first letter lower-cased ("service delivery
    (SLAs)", "prestación del servicio (SLA)")."""
    name = str(COMPONENT_NAMES[key])
    return name[:1].lower() + name[1:]


def _red_reason(p: dict[str, Any]) -> str:
    """params: {"score": float, "amber_from": int, "weak": [[component key, value], ...]}."""
    weak = ", ".join(f"{component_in_sentence(key)} {_num(value, 0)}" for key, value in p["weak"])
    return gettext(
        "Relationship health %(score)s is below %(amber_from)s (red). Weakest: %(weak)s."
    ) % {"score": _num(p["score"], 0), "amber_from": p["amber_from"], "weak": weak}


def _started_by_brm(p: dict[str, Any]) -> str:
    return gettext("Started by the BRM.")


PLAN_REASONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "plan.red": _red_reason,
    "plan.started": _started_by_brm,
}


def plan_reason_text(msg: str, params: dict[str, Any], stored: str) -> str:
    """An improvement plan's reason in the active language: the message `msg` (a key of
    `PLAN_REASONS`) rendered with `params`, or `stored` (the English sentence kept with the plan)
    when there is no message id, an unknown one, or parameters that do not fit."""
    render = PLAN_REASONS.get(msg)
    if render is None:
        return stored
    try:
        return render(params)
    except (KeyError, TypeError, ValueError):
        return stored
