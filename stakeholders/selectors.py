"""Read-side queries shared by pages, the API and emails: lists, the map, the register's part of
the unit timeline, the handover pack, and the figures the health app reads.

Each function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    Avg,
    CharField,
    Count,
    DateTimeField,
    F,
    Max,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    TextField,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, JSONObject, RowNumber, TruncMonth
from django.utils import timezone

from brm.core import statements
from brm.core.attachments.models import Attachment
from brm.core.counting import count_of
from brm.core.prebuilt import Prebuilt
from brm.core.roles import (
    GROUP_NAMES,
    Role,
    is_it_side,
    leader_unit_id,
    reads_all_units,
    role_of,
)
from brm.core.search import DEFAULT_LIMIT, SearchHit, SearchResults, text_search
from stakeholders.models import (
    INTERACTION_SEARCH,
    STAKEHOLDER_SEARCH,
    UNIT_SEARCH,
    ActionItem,
    ActionItemQuerySet,
    ActionStatus,
    BusinessUnit,
    Handover,
    Interaction,
    OwnerSide,
    Stakeholder,
    StakeholderQuerySet,
    done_condition,
    open_condition,
    overdue_condition,
    promise_count_aggregates,
)

# The register's rule for "a BRM's own units", for the apps above (brm.health) that read
# the register through its selectors.
from stakeholders.models import managed_by as managed_by

if TYPE_CHECKING:
    from django.contrib.auth.models import User as AuthUser

    from brm.core.roles import AnyUser

HIGH_INFLUENCE = 4
NOT_MET_DAYS = 60


def unit_list(user: AnyUser) -> QuerySet[BusinessUnit]:
    """Units the user may see, with the figures the list shows (one query)."""
    today = timezone.localdate()
    last_contact = (
        Interaction.objects.filter(unit=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return (
        BusinessUnit.objects.visible_to(user)
        .select_related("brm", "deputy", "parent")
        .annotate(
            stakeholder_count=count_of(Stakeholder.objects.filter(active=True), "unit"),
            # The list links these to /commitments/?unit=<id>&mine=false (and &overdue=true).
            open_commitments=count_of(ActionItem.objects.filter(open_condition()), "unit"),
            overdue_commitments=count_of(
                ActionItem.objects.filter(overdue_condition(today)), "unit"
            ),
            last_contact_at=Subquery(last_contact),
        )
        .order_by("name")  # a stable order for pages (the list's default)
    )


# Built once for IT's readers (brm.core.prebuilt): its expressions took 0.7 ms per request.
@Prebuilt
def stakeholder_list(user: AnyUser) -> StakeholderQuerySet:
    """The register as the user may see it, each person's unit joined and `last_met_at` (an
    aware datetime or None) annotated; the HTML page, CSV export and API share it. Unevaluated:
    no query until read."""
    # The latest of the stakeholder's own meetings: each of their attendance rows looks its
    # meeting's time up by primary key (a few index lookups, however many meetings there are).
    # As "the newest meeting they attended" (ORDER BY occurred_at DESC LIMIT 1), PostgreSQL
    # walked every meeting newest first until one had them (~1 ms a row at 1,657 meetings, all
    # of them for someone never met); joined to the meetings, it hashed them all per row.
    # One meeting by its key: no order (the model's default made PostgreSQL sort each one-row
    # lookup, a quarter of the query's time on a register page).
    occurred = (
        Interaction.objects.filter(pk=OuterRef("interaction_id")).order_by().values("occurred_at")
    )
    last_met = (
        Interaction.attendees.through.objects.filter(stakeholder=OuterRef("pk"))
        .order_by()
        .values("stakeholder")
        .annotate(latest=Max(Subquery(occurred)))
        .values("latest")  # type: ignore[misc]  # the plugin does not follow the annotation
    )
    return (
        Stakeholder.objects.visible_to(user)
        .select_related("unit")
        .annotate(last_met_at=Subquery(last_met))
    )


def interaction_list(user: AnyUser) -> QuerySet[Interaction]:
    return (
        Interaction.objects.visible_to(user)
        .select_related("unit", "logged_by")
        .prefetch_related(
            Prefetch("attendees", queryset=Stakeholder.objects.only("id", "name", "unit_id")),
            "it_participants",
        )
    )


def action_item_list(user: AnyUser) -> ActionItemQuerySet:
    return ActionItem.objects.visible_to(user).select_related(
        "unit", "owner", "owner_stakeholder", "interaction"
    )


# --- The power/interest map -------------------------------------------------------------------


# People named in each cell of the map; the cell's count links to all of them in the register.
MAP_NAMES_SHOWN = 4


@dataclass
class MapCell:
    """One cell of the power/interest map: how many people it holds and the first few by name
    (`people`: rows `{"id", "name"}`, at most MAP_NAMES_SHOWN)."""

    influence: int
    interest: int
    count: int = 0
    people: list[dict[str, Any]] = field(default_factory=list)

    @property
    def more(self) -> int:
        """People in the cell beyond those named."""
        return self.count - len(self.people)

    @property
    def quadrant(self) -> str:
        high_power, high_interest = self.influence >= 4, self.interest >= 4
        if high_power and high_interest:
            return "manage"
        if high_power:
            return "satisfy"
        if high_interest:
            return "inform"
        return "monitor"


def stakeholder_grid(
    stakeholders: QuerySet[Stakeholder], shown: int = MAP_NAMES_SHOWN
) -> list[list[MapCell]]:
    """A 5x5 grid, rows from influence 5 (top) down to 1, columns interest 1 to 5 (one query).

    Each cell's count and its first `shown` people by name are computed in the database (window
    functions over the cells), so the map reads at most 25 x `shown` rows however many people
    `stakeholders` holds (16,000 at 2,000 units took half a second as objects).
    """
    cells = {(i, j): MapCell(i, j) for i in range(1, 6) for j in range(1, 6)}
    cell = [F("influence"), F("interest")]
    rows = (
        stakeholders.order_by()
        .values("id", "name", "influence", "interest")
        .annotate(
            cell_count=Window(Count("pk"), partition_by=cell),
            place=Window(RowNumber(), partition_by=cell, order_by=[F("name").asc(), F("pk").asc()]),
        )
        .filter(place__lte=shown)
        .order_by("influence", "interest", "place")
    )
    for row in rows:
        target = cells[(row["influence"], row["interest"])]
        target.count = row["cell_count"]
        target.people.append({"id": row["id"], "name": row["name"]})
    return [[cells[(i, j)] for j in range(1, 6)] for i in range(5, 0, -1)]


# --- The unit timeline ------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    """One event in a unit's history, `obj` loaded for display.

    Each app exports two functions for its part of the unit timeline, which the unit page (top
    floor) uses so that the page loads only the rows it shows:

    - `timeline_keys(unit, user, *, before, limit) -> list[QuerySet]`: one values queryset per
      source (`timeline_source`), rows `{"entry_id", "entry_kind", "entry_at"}` before
      `before`, newest first, at most `limit`, each scoped to the user exactly as the app's own
      lists are. The page unions them (UNION ALL) and keeps the newest across sources in one
      query.
    - `timeline_load(user, ids: dict[str, list[int]]) -> dict[tuple[str, int], Any]`: the rows
      of those ids by (kind, id), with what the timeline shows of them (a fixed number of
      queries per kind present, none for a kind absent).
    - `timeline_sql(unit, user) -> TimelineSQL | None` and `timeline_object(user, kind, data)`:
      the same as fixed SQL and the reader of its rows, which the page runs as one statement on
      PostgreSQL when every app offers it (issue 14).
    """

    at: datetime
    kind: str  # "interaction", "commitment_done", "handover", "compliment", "review", "complaint"
    obj: Any


def timeline_source(qs: QuerySet[Any], kind: str, at: str, limit: int) -> QuerySet[Any]:
    """`qs` as timeline keys: rows `{"entry_id", "entry_kind", "entry_at"}` (`entry_at` from the
    field `at`), newest first, at most `limit`. Every source has the same columns in the same
    order, as a UNION needs (the names cannot clash with a model's own `kind` or `id`)."""
    keys: QuerySet[Any] = qs.order_by().values(
        entry_id=F("pk"),
        entry_kind=Value(kind, output_field=CharField()),
        entry_at=F(at),
    )
    if not connection.features.supports_slicing_ordering_in_compound:
        # SQLite (the zero-setup default) allows no LIMIT inside a UNION: the outer one cuts.
        return keys
    return keys.order_by("-entry_at", "-entry_id")[:limit]


def timeline_keys(
    unit: BusinessUnit, user: AnyUser, *, before: datetime, limit: int
) -> list[QuerySet[Any]]:
    """The register's timeline sources before `before`: meetings the user may see, promises
    kept and handovers (no query until the page unions them)."""
    return [
        timeline_source(
            Interaction.objects.visible_to(user).filter(unit=unit, occurred_at__lt=before),
            "interaction",
            "occurred_at",
            limit,
        ),
        timeline_source(
            ActionItem.objects.filter(done_condition(), unit=unit, completed_at__lt=before),
            "commitment_done",
            "completed_at",
            limit,
        ),
        timeline_source(
            Handover.objects.filter(unit=unit, created_at__lt=before),
            "handover",
            "created_at",
            limit,
        ),
    ]


def _json_agg(row: JSONObject, order_by: tuple[str, ...]) -> StringAgg:
    """`row` of every row in a group as JSON objects joined by commas (`_json_rows` reads them),
    in `order_by` order where the database orders an aggregate (PostgreSQL; SQLite from 3.44).
    Readers sort again in Python only where that order is not collation-sensitive."""
    ordered = connection.features.supports_aggregate_order_by_clause
    return StringAgg(
        Cast(row, TextField()), delimiter=Value(","), order_by=order_by if ordered else None
    )


def _m2m_rows(
    through: type[Model], target: str, fields: list[str], order_by: tuple[str, ...]
) -> Subquery:
    """A correlated subquery for an annotation: the `id` and `fields` of the rows a many-to-many
    relation (`through`, its foreign key `target`) links to the outer row, as `_json_agg` text
    ordered by `order_by` (fields of `target`); NULL when there are none. Any backend with JSON."""
    owner = next(f.name for f in through._meta.get_fields() if f.is_relation and f.name != target)
    row = JSONObject(id=f"{target}_id", **{name: f"{target}__{name}" for name in fields})
    return Subquery(
        through._default_manager.filter(**{f"{owner}_id": OuterRef("pk")})
        .order_by()
        .values(f"{owner}_id")
        .annotate(rows=_json_agg(row, tuple(f"{target}__{o}" for o in order_by)))
        .values("rows")
    )


def _json_rows(text: str | None) -> list[dict[str, Any]]:
    """The rows `_m2m_rows` joined into one text (none for NULL)."""
    rows: list[dict[str, Any]] = json.loads(f"[{text}]") if text else []
    return rows


def timeline_load(user: AnyUser, ids: dict[str, list[int]]) -> dict[tuple[str, int], Any]:
    """The register's timeline rows by (kind, id): meetings with their attendees, IT
    participants, the promises made at them and their number of files (`file_count`), promises
    kept, handovers (up to five queries, each only when its kind is asked for).

    Private meeting notes never leave the IT side, whatever the template does.
    """
    found: dict[tuple[str, int], Any] = {}
    meeting_ids, kept_ids = ids.get("interaction", []), ids.get("commitment_done", [])
    promises: list[ActionItem] = []
    if meeting_ids or kept_ids:
        # The promises made at the meetings shown and the promises kept: one query for both.
        promises = list(
            ActionItem.objects.filter(Q(interaction_id__in=meeting_ids) | Q(pk__in=kept_ids))
            .select_related("owner", "owner_stakeholder")
            .order_by("due_date", "pk")
        )
        kept = set(kept_ids)
        for a in promises:
            if a.pk in kept:
                found[("commitment_done", a.pk)] = a
    if meeting_ids:
        made: dict[int, list[ActionItem]] = {}
        for a in promises:
            if a.interaction_id is not None:
                made.setdefault(a.interaction_id, []).append(a)
        # Only what the timeline names of each person, folded into the meetings' own query as
        # JSON (issue 14: two prefetch queries fewer on every timeline page).
        meetings = (
            Interaction.objects.visible_to(user)
            .filter(pk__in=meeting_ids)
            .annotate(
                file_count=Attachment.objects.count_for(Interaction),
                attendee_rows=_m2m_rows(
                    Interaction.attendees.through, "stakeholder", ["name"], ("name", "id")
                ),
                it_participant_rows=_m2m_rows(
                    Interaction.it_participants.through,
                    "user",
                    ["username", "first_name", "last_name"],
                    ("id",),
                ),
            )
        )
        it_side = is_it_side(user)
        user_model = get_user_model()
        for i in meetings:
            if not it_side:
                i.notes = ""
            # The template's: meetings shown, each with its people, sorted as the models sort.
            i.promises_made = made.get(i.pk, [])  # type: ignore[attr-defined]
            i.attendee_list = [  # type: ignore[attr-defined]
                Stakeholder(**row)
                for row in _json_rows(i.attendee_rows)  # type: ignore[attr-defined]
            ]
            i.it_participant_list = [  # type: ignore[attr-defined]
                user_model(**row)
                for row in _json_rows(i.it_participant_rows)  # type: ignore[attr-defined]
            ]
            found[("interaction", i.pk)] = i
    if ids.get("handover"):
        handovers = Handover.objects.filter(pk__in=ids["handover"]).select_related(
            "from_brm", "to_brm", "handed_over_by"
        )
        found.update((("handover", h.pk), h) for h in handovers)
    return found


# --- The unit timeline as fixed SQL (issue 14) -------------------------------------------------


@dataclass(frozen=True)
class TimelineSQL:
    """An app's part of the unit timeline as fixed SQL, for PostgreSQL (issue 14): the ORM built
    and compiled the six sources' keys and each kind's rows on every view, most of the page's
    CPU. The unit page unions every app's `keys`, keeps the newest and reads each kept row's
    `data` in the same query; `timeline_object` turns that data into what `timeline_load` gives.

    - `keys`: parenthesized SELECTs of `entry_id`, `entry_kind`, `entry_at` of one unit
      (`%(unit)s`) before `%(before)s`, newest first, at most `%(limit)s`, as `timeline_keys`;
    - `data`: per kind, a scalar subquery of the row whose id is `keys.entry_id`, as `jsonb`;
    - `params`: the app's own named parameters (prefixed with its name).

    An app offers it only where its scope adds nothing within the unit for this user (a reader
    of every unit, or a leader on their own unit's page); otherwise the page takes the ORM path.
    """

    keys: tuple[str, ...]
    data: dict[str, str]
    params: dict[str, Any] = field(default_factory=dict)


def whole_unit_visible(unit: BusinessUnit, user: AnyUser) -> bool:
    """Whether `visible_to(user)` keeps every row of `unit` of a unit-scoped model: the user
    reads every unit, or is a leader and `unit` is theirs."""
    if reads_all_units(user):
        return True
    return role_of(user) == Role.LEADER and leader_unit_id(user) == unit.pk


def user_json(alias: str) -> str:
    """SQL: the user `alias` (a joined auth_user) as the timeline names people (NULL for none)."""
    return (
        f"CASE WHEN {alias}.id IS NULL THEN NULL ELSE jsonb_build_object('id', {alias}.id,"
        f" 'username', {alias}.username, 'first_name', {alias}.first_name,"
        f" 'last_name', {alias}.last_name) END"
    )


def user_from_json(row: dict[str, Any] | None) -> AuthUser | None:
    """The user `user_json` wrote (unsaved; for their name only)."""
    return None if row is None else get_user_model()(**row)


def json_datetime(value: str | None) -> datetime | None:
    """A `timestamptz` as PostgreSQL writes it in JSON (ISO 8601 with its offset), aware."""
    return None if value is None else datetime.fromisoformat(value)


_T = {
    "meeting": Interaction._meta.db_table,
    "promise": ActionItem._meta.db_table,
    "handover": Handover._meta.db_table,
    "person": Stakeholder._meta.db_table,
    "user": get_user_model()._meta.db_table,
    "attendee": Interaction.attendees.through._meta.db_table,
    "participant": Interaction.it_participants.through._meta.db_table,
    "file": Attachment._meta.db_table,
}
# A promise as the timeline shows it (made at a meeting, or kept): `a` the promise, `o` its IT
# owner, `os` its business owner.
_PROMISE_JSON = (
    "jsonb_build_object('id', a.id, 'unit_id', a.unit_id, 'title', a.title,"
    " 'due_date', a.due_date, 'status', a.status, 'completed_at', a.completed_at,"
    " 'owner_side', a.owner_side, 'interaction_id', a.interaction_id,"
    f" 'owner', {user_json('o')},"
    " 'owner_stakeholder', CASE WHEN os.id IS NULL THEN NULL ELSE"
    " jsonb_build_object('id', os.id, 'name', os.name) END)"
)
_PROMISE_FROM = (
    f"{_T['promise']} a LEFT JOIN {_T['user']} o ON o.id = a.owner_id"
    f" LEFT JOIN {_T['person']} os ON os.id = a.owner_stakeholder_id"
)
_REGISTER_KEYS = (
    f"(SELECT m.id AS entry_id, 'interaction' AS entry_kind, m.occurred_at AS entry_at"
    f" FROM {_T['meeting']} m WHERE m.unit_id = %(unit)s AND m.occurred_at < %(before)s"
    " ORDER BY m.occurred_at DESC, m.id DESC LIMIT %(limit)s)",
    f"(SELECT a.id, 'commitment_done', a.completed_at FROM {_T['promise']} a"
    f" WHERE a.status = '{ActionStatus.DONE.value}' AND a.unit_id = %(unit)s"
    " AND a.completed_at < %(before)s ORDER BY a.completed_at DESC, a.id DESC LIMIT %(limit)s)",
    f"(SELECT h.id, 'handover', h.created_at FROM {_T['handover']} h"
    " WHERE h.unit_id = %(unit)s AND h.created_at < %(before)s"
    " ORDER BY h.created_at DESC, h.id DESC LIMIT %(limit)s)",
)
_REGISTER_DATA = {
    # A meeting with its number of files, its attendees (by name), IT participants (by id) and
    # the promises made at it (soonest due first), as `timeline_load` loads them; its private
    # notes only for the IT side.
    "interaction": (
        "(SELECT jsonb_build_object('id', m.id, 'unit_id', m.unit_id, 'kind', m.kind,"
        " 'occurred_at', m.occurred_at, 'summary', m.summary, 'sentiment', m.sentiment,"
        " 'notes', CASE WHEN %(register_it_side)s THEN m.notes ELSE '' END,"
        f" 'file_count', (SELECT COUNT(*) FROM {_T['file']} f"
        " WHERE f.record_type_id = %(register_meeting_type)s AND f.record_id = m.id),"
        " 'attendees', (SELECT jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name)"
        f" ORDER BY p.name, p.id) FROM {_T['attendee']} t JOIN {_T['person']} p"
        " ON p.id = t.stakeholder_id WHERE t.interaction_id = m.id),"
        f" 'it_participants', (SELECT jsonb_agg({user_json('u')} ORDER BY u.id)"
        f" FROM {_T['participant']} t JOIN {_T['user']} u ON u.id = t.user_id"
        " WHERE t.interaction_id = m.id),"
        f" 'promises', (SELECT jsonb_agg({_PROMISE_JSON} ORDER BY a.due_date, a.id)"
        f" FROM {_PROMISE_FROM} WHERE a.interaction_id = m.id))"
        f" FROM {_T['meeting']} m WHERE m.id = keys.entry_id)"
    ),
    "commitment_done": f"(SELECT {_PROMISE_JSON} FROM {_PROMISE_FROM} WHERE a.id = keys.entry_id)",
    "handover": (
        "(SELECT jsonb_build_object('id', h.id, 'unit_id', h.unit_id, 'note', h.note,"
        f" 'created_at', h.created_at, 'from_brm', {user_json('f')}, 'to_brm', {user_json('t')})"
        f" FROM {_T['handover']} h LEFT JOIN {_T['user']} f ON f.id = h.from_brm_id"
        f" LEFT JOIN {_T['user']} t ON t.id = h.to_brm_id WHERE h.id = keys.entry_id)"
    ),
}


def timeline_sql(unit: BusinessUnit, user: AnyUser) -> TimelineSQL | None:
    """The register's timeline sources as fixed SQL (`TimelineSQL`): meetings, promises kept
    and handovers; None where the user's scope would cut within the unit."""
    if not whole_unit_visible(unit, user):
        return None
    return TimelineSQL(
        _REGISTER_KEYS,
        _REGISTER_DATA,
        {
            "register_it_side": is_it_side(user),
            "register_meeting_type": ContentType.objects.get_for_model(Interaction).pk,
        },
    )


def _promise_from_json(row: dict[str, Any]) -> ActionItem:
    person = row["owner_stakeholder"]
    return ActionItem(
        id=row["id"],
        unit_id=row["unit_id"],
        title=row["title"],
        due_date=date.fromisoformat(row["due_date"]),
        status=row["status"],
        completed_at=json_datetime(row["completed_at"]),
        owner_side=row["owner_side"],
        interaction_id=row["interaction_id"],
        owner=user_from_json(row["owner"]),
        owner_stakeholder=None if person is None else Stakeholder(**person),
    )


def timeline_object(user: AnyUser, kind: str, data: dict[str, Any]) -> Any:
    """The row `TimelineSQL.data` read, as `timeline_load` gives it (unsaved instances with the
    same attributes); None for another app's kind."""
    if kind == "interaction":
        meeting = Interaction(
            id=data["id"],
            unit_id=data["unit_id"],
            kind=data["kind"],
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            summary=data["summary"],
            sentiment=data["sentiment"],
            # Private notes never leave the IT side, whatever the SQL or the template does.
            notes=data["notes"] if is_it_side(user) else "",
        )
        meeting.file_count = data["file_count"]  # type: ignore[attr-defined]
        meeting.attendee_list = [  # type: ignore[attr-defined]
            Stakeholder(**row) for row in data["attendees"] or []
        ]
        meeting.it_participant_list = [  # type: ignore[attr-defined]
            user_from_json(row) for row in data["it_participants"] or []
        ]
        meeting.promises_made = [  # type: ignore[attr-defined]
            _promise_from_json(row) for row in data["promises"] or []
        ]
        return meeting
    if kind == "commitment_done":
        return _promise_from_json(data)
    if kind == "handover":
        return Handover(
            id=data["id"],
            unit_id=data["unit_id"],
            note=data["note"],
            created_at=datetime.fromisoformat(data["created_at"]),
            from_brm=user_from_json(data["from_brm"]),
            to_brm=user_from_json(data["to_brm"]),
        )
    return None


# --- Figures the top floor reads (health, dashboard, My relationships) -----------------------


def units_visible_to(user: AnyUser) -> QuerySet[BusinessUnit]:
    """Every unit this user may see, active or not (the one access rule, `visible_to`)."""
    return BusinessUnit.objects.visible_to(user)


def unit_detail_queryset(user: AnyUser) -> QuerySet[BusinessUnit]:
    """`units_visible_to` with the people a unit page names (BRM, deputy, parent) joined."""
    return units_visible_to(user).select_related("brm", "deputy", "parent")


KEY_PEOPLE = 8
KEY_PEOPLE_ORDER = ("-influence", "-interest", "name")
_KEY_PEOPLE_FIELDS = ["name", "job_title", "influence", "interest"]


def key_people(unit: BusinessUnit, limit: int = KEY_PEOPLE) -> list[Stakeholder]:
    """A unit's most influential active people, for its page: from `with_key_people`'s
    annotation when `unit` came through it (no query), else one query."""
    if hasattr(unit, "key_people_rows"):
        people = [Stakeholder(unit_id=unit.pk, **row) for row in _json_rows(unit.key_people_rows)]
        # Stable: people of equal rank keep the database's order by name (its collation).
        return sorted(people, key=lambda p: (-p.influence, -p.interest))[:limit]
    return list(unit.stakeholders.filter(active=True).order_by(*KEY_PEOPLE_ORDER)[:limit])


def with_key_people(units: QuerySet[BusinessUnit]) -> QuerySet[BusinessUnit]:
    """`units` annotated with each one's `key_people` (its KEY_PEOPLE most influential active
    people, as JSON text that `key_people` reads), so a unit page names them without a query
    of its own (issue 14)."""
    top = (
        Stakeholder.objects.filter(unit=OuterRef(OuterRef("pk")), active=True)
        .order_by(*KEY_PEOPLE_ORDER)
        .values("pk")[:KEY_PEOPLE]
    )
    row = JSONObject(id="id", **{name: name for name in _KEY_PEOPLE_FIELDS})
    rows = (
        Stakeholder.objects.filter(pk__in=top)
        .order_by()
        .values("unit_id")
        .annotate(rows=_json_agg(row, KEY_PEOPLE_ORDER))
        .values("rows")
    )
    return units.annotate(key_people_rows=Subquery(rows))


def open_promises(user: AnyUser, unit: BusinessUnit, limit: int = 10) -> list[ActionItem]:
    """A unit's open promises, soonest due first (one query); the page links to all of them."""
    return list(action_item_list(user).filter(unit=unit).open().order_by("due_date")[:limit])


# The unit page's figures, key people and open promises as fixed SQL (issue 14): the ORM
# compiled five correlated subqueries of expressions on every view, and open promises were one
# more query with four joins of whole rows.
_U = f'"{BusinessUnit._meta.db_table}"."id"'
OPEN_PROMISES_SHOWN = 10
_UNIT_PAGE_SQL = {
    "stakeholder_count": (
        f"SELECT COUNT(*) FROM {_T['person']} s WHERE s.unit_id = {_U} AND s.active"
    ),
    "open_commitments": (
        f"SELECT COUNT(*) FROM {_T['promise']} a WHERE a.unit_id = {_U}"
        f" AND a.status = '{ActionStatus.OPEN.value}'"
    ),
    "overdue_commitments": (
        f"SELECT COUNT(*) FROM {_T['promise']} a WHERE a.unit_id = {_U}"
        f" AND a.status = '{ActionStatus.OPEN.value}' AND a.due_date < %s"
    ),
    "last_contact_at": (
        f"SELECT m.occurred_at FROM {_T['meeting']} m WHERE m.unit_id = {_U}"
        " ORDER BY m.occurred_at DESC LIMIT 1"
    ),
    # `with_key_people`'s text: its KEY_PEOPLE most influential active people.
    "key_people_rows": (
        "SELECT STRING_AGG(JSONB_BUILD_OBJECT('id', v.id, 'name', v.name, 'job_title',"
        " v.job_title, 'influence', v.influence, 'interest', v.interest)::text, ','"
        " ORDER BY v.influence DESC, v.interest DESC, v.name) FROM (SELECT p.id, p.name,"
        f" p.job_title, p.influence, p.interest FROM {_T['person']} p WHERE p.active"
        f" AND p.unit_id = {_U} ORDER BY p.influence DESC, p.interest DESC, p.name"
        f" LIMIT {KEY_PEOPLE}) v"
    ),
    # `open_promises`: the soonest due open promises (then the oldest first), as JSON.
    "open_promise_rows": (
        f"SELECT jsonb_agg(r.promise ORDER BY r.due_date, r.id) FROM (SELECT a.id, a.due_date,"
        f" {_PROMISE_JSON} AS promise FROM {_PROMISE_FROM} WHERE a.unit_id = {_U}"
        f" AND a.status = '{ActionStatus.OPEN.value}' ORDER BY a.due_date, a.id"
        f" LIMIT {OPEN_PROMISES_SHOWN}) r"
    ),
}


def unit_page_queryset(user: AnyUser, *, panels: bool = True) -> QuerySet[BusinessUnit]:
    """The units this user may see, with their BRM, deputy and parent, for the unit page (one
    query): `unit_list`'s figures (`stakeholder_count`, `open_commitments`,
    `overdue_commitments`, `last_contact_at`: the same counts, tests/test_consistency.py),
    `with_key_people`'s `key_people_rows` (`key_people` reads it) and `open_promise_rows`, the
    unit's first OPEN_PROMISES_SHOWN open promises (`unit_open_promises` reads them), written
    once as SQL instead of compiled from expressions on every view. The SQL names the unit
    table, so the queryset must stay the outer query (a page's unit, not a subquery).

    Without `panels`, the figures only (the timeline's refresh sends them out of band).

    A unit comes back only when the user may see it, and then every unit-scoped record of it
    is theirs to see (`whole_unit_visible`), so its promises need no scope of their own."""
    if connection.vendor != "postgresql":
        # The SQL is PostgreSQL's (JSONB, ::text casts). Elsewhere (`make run`'s SQLite) the
        # same figures come from the expressions they are written from; `unit_open_promises`
        # then reads the promises with a query of their own.
        fallback = unit_list(user).order_by()
        return with_key_people(fallback) if panels else fallback
    today = timezone.localdate()
    units = (
        BusinessUnit.objects.visible_to(user)
        .select_related("brm", "deputy", "parent")
        .annotate(
            stakeholder_count=RawSQL(_UNIT_PAGE_SQL["stakeholder_count"], ()),
            open_commitments=RawSQL(_UNIT_PAGE_SQL["open_commitments"], ()),
            overdue_commitments=RawSQL(_UNIT_PAGE_SQL["overdue_commitments"], (today,)),
            last_contact_at=RawSQL(
                _UNIT_PAGE_SQL["last_contact_at"], (), output_field=DateTimeField()
            ),
        )
    )
    if not panels:
        return units
    return units.annotate(
        key_people_rows=RawSQL(_UNIT_PAGE_SQL["key_people_rows"], ()),
        open_promise_rows=RawSQL(_UNIT_PAGE_SQL["open_promise_rows"], ()),
    )


def unit_open_promises(user: AnyUser, unit: BusinessUnit) -> list[ActionItem]:
    """`open_promises(user, unit)` from `unit_page_queryset`'s `open_promise_rows` (no query)
    when `unit` came through it and the user sees all of it; else `open_promises` (one query)."""
    if not hasattr(unit, "open_promise_rows") or not whole_unit_visible(unit, user):
        return open_promises(user, unit, OPEN_PROMISES_SHOWN)
    rows: Any = unit.open_promise_rows
    data: list[dict[str, Any]] = (json.loads(rows) if isinstance(rows, str) else rows) or []
    return [_promise_from_json(row) for row in data]


def units_by_id(unit_ids: list[int]) -> dict[int, BusinessUnit]:
    """Units by id with their BRM joined (one query; none for an empty list)."""
    return BusinessUnit.objects.select_related("brm").in_bulk(unit_ids)


def managed_unit_ids(user: AnyUser | int) -> QuerySet[Any]:
    """The ids of the units `user` (a user or their id) manages as BRM or deputy
    (`managed_by`), as a query to read inside another (`unit_id__in=`): one subquery, whatever
    the number of units."""
    return BusinessUnit.objects.filter(managed_by(user)).values("pk")


def per_managed_unit(
    key: str, rows_of: Callable[..., QuerySet[Any]], manager: int, **values: Any
) -> list[dict[str, Any]]:
    """`rows_of(units, **values)`, a `.values()` query over `units`, for the units the user
    `manager` (an id) manages (`managed_unit_ids`, read as a subquery), compiled once and
    replayed with the id and `values` (`brm.core.statements`, keyed by `key`): My
    relationships' live figures, a BRM's own units whatever their number (issue 14)."""

    def build(manager: int, **values: Any) -> QuerySet[Any]:
        return rows_of(managed_unit_ids(manager), **values)

    return statements.rows(key, build, manager=manager, **values)


def relationship_managers() -> QuerySet[AuthUser]:
    """Active members of the BRM group, by first name then username: who a unit can be handed
    over to, and the dashboard's "BRM" filter."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=GROUP_NAMES[Role.BRM])
        .order_by("first_name", "username")
    )


def relationship_staff() -> QuerySet[AuthUser]:
    """Active people who may be a unit's BRM or deputy (`permissions.may_manage_relationship`:
    relationship managers and administrators), by name: the choices the admin offers."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name=GROUP_NAMES[Role.BRM]) | Q(is_staff=True) | Q(is_superuser=True))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def active_units() -> QuerySet[BusinessUnit]:
    """Every active unit (the units health is computed for)."""
    return BusinessUnit.objects.filter(active=True)


def units_in_scope(user: AnyUser) -> QuerySet[BusinessUnit]:
    """The active units this user may see (the one access rule, `visible_to`), by name."""
    return BusinessUnit.objects.visible_to(user).filter(active=True).order_by("name")


def promise_counts(
    since: date, until: date, *, user: AnyUser | None = None, today: date | None = None
) -> dict[str, int]:
    """IT's promises due from `since` to `until` (inclusive) and how they turned out as of
    `today`: due, on_time, late, dropped, overdue, open (one query). With `user`, only the units
    they may see. The list filter `outcome=`/`overdue=` with `owner_side=it&due_after=since&
    due_before=until` shows the same rows."""
    if user is None:
        return ActionItem.objects.owed_by_it().promise_counts(since, until, today)

    def build(since: date, until: date, today: date) -> tuple[QuerySet[ActionItem], dict[str, Any]]:
        items = ActionItem.objects.visible_to(user).owed_by_it().due_between(since, until)
        return items, promise_count_aggregates(today)

    # The dashboard's tile: compiled once, replayed with the day's dates (brm.core.statements).
    today = today or timezone.localdate()
    return statements.aggregate_for(
        user, "stakeholders.promise_counts", build, since=since, until=until, today=today
    )


def promise_counts_by_unit(
    since: date, until: date, *, today: date | None = None
) -> dict[int, dict[str, int]]:
    """`promise_counts` per unit id, for every unit (one GROUP BY query)."""
    return ActionItem.objects.owed_by_it().promise_counts_by_unit(since, until, today)


def overdue_promises_by_unit(
    unit_ids: Iterable[int] | QuerySet[Any],
    *,
    today: date | None = None,
    it_only: bool = True,
    manager: int | None = None,
) -> dict[int, int]:
    """Number of overdue promises per unit of `unit_ids` (ids, or a query of them; one query);
    the list with `overdue=true&unit=<id>` (and `owner_side=it` when `it_only`) shows the same
    rows. `manager`: a user id; their units instead of `unit_ids`, replayed
    (`per_managed_unit`)."""
    today = today or timezone.localdate()

    def rows_of(units: Any, today: date) -> QuerySet[Any]:
        items = ActionItem.objects.filter(unit_id__in=units)
        if it_only:
            items = items.owed_by_it()
        return items.overdue(today).order_by().values("unit_id").annotate(n=Count("id"))

    rows = (
        rows_of(unit_ids, today)
        if manager is None
        else per_managed_unit(
            f"stakeholders.overdue_promises.{it_only}", rows_of, manager, today=today
        )
    )
    return {r["unit_id"]: r["n"] for r in rows}


def progress_aggregates(prefix: str, today: date) -> dict[str, Count]:
    """`total`, `done` and `overdue` promises through the relation `prefix` (e.g. "actions__"
    from an improvement plan), as Count expressions for `.annotate()`/`.aggregate()`."""
    pk = f"{prefix}id"
    return {
        "total": Count(pk),
        "done": Count(pk, filter=done_condition(prefix)),
        "overdue": Count(pk, filter=overdue_condition(today, prefix)),
    }


def sentiment_by_unit(since: datetime, until: datetime) -> dict[int, dict[str, float]]:
    """Mean meeting sentiment (-2..2) and number of contacts per unit in [since, until)."""
    rows = (
        Interaction.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
        .order_by()
        .values("unit_id")
        .annotate(avg=Avg("sentiment"), n=Count("id"))
    )
    return {r["unit_id"]: {"avg": float(r["avg"]), "n": r["n"]} for r in rows}


@dataclass
class KeyContact:
    unit_id: int
    id: int
    name: str
    influence: int
    interest: int
    last_met_at: datetime | None


def key_contacts(as_of: datetime | None = None) -> list[KeyContact]:
    """Active high-influence stakeholders of active units with when they were last met (by
    `as_of` when given: contacts after it do not count), by unit then most influential first
    (one query). Whether a person was active or influential on a past date is not recorded:
    today's register is used (an import brings people whose meetings predate it)."""
    met = Q(interactions__occurred_at__lte=as_of) if as_of is not None else None
    rows = (
        Stakeholder.objects.filter(active=True, influence__gte=HIGH_INFLUENCE, unit__active=True)
        .annotate(last_met_at=Max("interactions__occurred_at", filter=met))
        .values("unit_id", "id", "name", "influence", "interest", "last_met_at")
        .order_by("unit_id", "-influence", "name")
    )
    return [KeyContact(**r) for r in rows]


def active_people_by_unit() -> dict[int, int]:
    """Active stakeholders per unit (one query)."""
    rows = (
        Stakeholder.objects.filter(active=True).order_by().values("unit_id").annotate(n=Count("id"))
    )
    return {r["unit_id"]: r["n"] for r in rows}


# --- The handover pack ------------------------------------------------------------------------


@dataclass
class HandoverPack:
    unit: BusinessUnit
    grid: list[list[MapCell]]
    open_it: list[ActionItem]
    open_business: list[ActionItem]
    recent: list[Interaction]
    sentiment_trend: list[dict[str, Any]]
    not_met: list[Stakeholder]
    generated_at: datetime


def handover_pack(unit: BusinessUnit, user: AnyUser, *, days: int = 90) -> HandoverPack:
    """Everything a new BRM needs so the relationship does not leave with the previous one."""
    now = timezone.now()
    people = Stakeholder.objects.filter(unit=unit, active=True)
    open_items = list(
        ActionItem.objects.filter(unit=unit)
        .open()
        .select_related("owner", "owner_stakeholder")
        .order_by("due_date")
    )
    recent = list(
        interaction_list(user).filter(unit=unit, occurred_at__gte=now - timedelta(days=days))
    )
    trend = list(
        Interaction.objects.filter(unit=unit, occurred_at__gte=now - timedelta(days=365))
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(avg=Avg("sentiment"), n=Count("id"))
        .order_by("month")
    )
    not_met = list(
        people.filter(influence__gte=HIGH_INFLUENCE)
        .annotate(last_met_at=Max("interactions__occurred_at"))
        .filter(Q(last_met_at__isnull=True) | Q(last_met_at__lt=now - timedelta(days=NOT_MET_DAYS)))
        .order_by("-influence", "name")
    )
    if not is_it_side(user):
        for i in recent:
            i.notes = ""
    return HandoverPack(
        unit=unit,
        grid=stakeholder_grid(people),
        open_it=[a for a in open_items if a.owner_side == OwnerSide.IT],
        open_business=[a for a in open_items if a.owner_side == OwnerSide.BUSINESS],
        recent=recent,
        sentiment_trend=[
            {
                "month": row["month"].date().isoformat()[:7],
                "avg": round(row["avg"], 2),
                "n": row["n"],
            }
            for row in trend
        ],
        not_met=not_met,
        generated_at=now,
    )


# --- Global search (the header's search box; combined by brm.search) ---------------------------


def search_units(user: AnyUser, text: str, *, limit: int = DEFAULT_LIMIT) -> SearchResults:
    """Units the user may see (`visible_to`) whose name, code or description match (one query)."""
    rows, total = text_search(
        units_visible_to(user),
        text,
        fields=[("name", "A"), ("code", "A"), ("description", "C")],
        document=UNIT_SEARCH,
        then=["name", "pk"],
        limit=limit,
    )
    return SearchResults(
        [
            SearchHit(
                title=u.name,
                url=u.get_absolute_url(),
                summary=u.description[:160],
                meta=u.code.upper() + ("" if u.active else " · inactive"),
            )
            for u in rows
        ],
        total,
    )


def search_stakeholders(user: AnyUser, text: str, *, limit: int = DEFAULT_LIMIT) -> SearchResults:
    """People the user may see (`visible_to`: a leader only their own unit's) by name, job title
    or email (one query). Stakeholder analysis (influence, interest, quadrant) is never searched
    nor shown, so a result tells a business leader nothing of how IT rates anyone."""
    rows, total = text_search(
        Stakeholder.objects.visible_to(user).select_related("unit"),
        text,
        fields=[("name", "A"), ("job_title", "B"), ("email", "B")],
        document=STAKEHOLDER_SEARCH,
        then=["name", "pk"],
        limit=limit,
    )
    return SearchResults(
        [
            SearchHit(
                title=p.name,
                url=p.get_absolute_url(),
                summary=p.job_title,
                meta=p.unit.name + ("" if p.active else " · left"),
            )
            for p in rows
        ],
        total,
    )


def search_interactions(user: AnyUser, text: str, *, limit: int = DEFAULT_LIMIT) -> SearchResults:
    """Meetings and contacts the user may see (`visible_to`) by summary, and by the BRM's private
    notes for the IT side only (one query); each links to its unit's timeline. Sentiment is
    neither searched nor shown."""
    fields = [("summary", "A"), ("unit__name", "C")]
    if is_it_side(user):
        fields.append(("notes", "B"))
    rows, total = text_search(
        Interaction.objects.visible_to(user).select_related("unit"),
        text,
        fields=fields,
        document=INTERACTION_SEARCH,
        then=["-occurred_at", "-pk"],
        limit=limit,
    )
    return SearchResults(
        [
            SearchHit(
                title=i.summary,
                url=i.unit.get_absolute_url() + "#timeline",
                meta=f"{i.unit.name} · {i.get_kind_display()}",
                at=i.occurred_at,
            )
            for i in rows
        ],
        total,
    )
