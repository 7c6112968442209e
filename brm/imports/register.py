"""What each importable kind reads from a row, and how it is written: through the apps' services.

A `Kind` names its natural key columns (unit: code; stakeholder: email; service: code; metric:
service code plus period start; consumer: service code plus unit code), the columns it reads
(header names matched case-insensitively, with the exports' own headers as aliases so an export
re-imports unchanged) and `apply(values, context)`, which finds the stored record by key, sets
the row's values on it and returns (record, changed). Cell text becomes a value through the
model field's own parsing and choices (`field_value`), and the runner then checks the record
with `brm.core.validators.check_model` (the rules the forms and the API run), so no rule is
written here twice.

Writing: a kind with `save` is written row by row through the app's service (units, whose
parents may be earlier rows; the catalogue, which is small). A kind with `save_many`
(stakeholders, 100,000 rows in a real register) is written a chunk at a time: `prepare` reads
the chunk's stored records and units in one query each, `check` asks the service's own
permission rule per row, and `save_many` is the service's bulk write.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brm.core.errors import InputError
from brm.core.validators import date_in_range
from portfolio.selectors import catalogue as catalogue_selectors
from portfolio.services import catalogue as catalogue_services
from stakeholders import services as register_services
from stakeholders.models import BusinessUnit, Stakeholder

# The catalogue's models only describe their columns (help texts, choices); rows are read and
# written through the portfolio's selectors and services, as the layer rule asks.
_CATALOGUE_MODELS = catalogue_selectors.described_models()

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

    from brm.core.roles import AnyUser

# "sí"/"si" too: a Spanish reader types what the page's "yes or no" says in their language.
YES = {"yes", "y", "true", "1", "on", "x", "sí", "si"}
NO = {"no", "n", "false", "0", "off"}


def _yes_no(column: str, value: str) -> bool:
    text = value.strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise InputError(column, gettext("'%(value)s' is not yes or no.") % {"value": value})


@cache
def _choice_values(model_field: models.Field[Any, Any]) -> dict[str, Any]:
    """Lower-case stored value, and label in every language of `settings.LANGUAGES` -> value.

    Every language, not only the active one: the register's CSV export writes labels in the
    exporter's language, and the file must import again whoever runs the import."""
    found: dict[str, Any] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value, label in model_field.flatchoices:
                found.setdefault(str(label).lower(), value)
    for value, _label in model_field.flatchoices:
        found[str(value).lower()] = value  # a stored value wins over another choice's label
    return found


def field_value(record: models.Model, name: str, text: str) -> Any:
    """The cell `text` as the value of `record`'s field `name`, parsed by the field itself.

    Choices match their stored value or their label in any of the site's languages,
    case-insensitively (`_choice_values`); yes/no columns take
    yes/no, sí/no, true/false, 1/0 and x; a decimal may use a comma ("99,5" from a European
    spreadsheet); dates are ISO (XLSX date cells already are). Blank is "" for text, None where
    the field may be empty. Raises `InputError(name, ...)` naming the value and what it should be.
    """
    model_field = record._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    if model_field.choices:
        values = _choice_values(model_field)
        if text.lower() in values:
            return values[text.lower()]
        labels = ", ".join(str(label) for _, label in model_field.flatchoices)
        raise InputError(
            name,
            gettext("'%(value)s' is not one of %(choices)s.") % {"value": text, "choices": labels},
        )
    if isinstance(model_field, models.BooleanField):
        return _yes_no(name, text)
    if text == "":
        return None if model_field.null else ""
    if isinstance(model_field, models.DecimalField) and "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = model_field.to_python(text)
        if isinstance(model_field, models.DateField):
            date_in_range(value)  # the range every form and API date field takes
        return value
    except ValidationError as exc:
        if exc.code == date_in_range.code:
            raise InputError(name, exc.messages[0]) from None
        what = {
            models.IntegerField: gettext("'%(value)s' is not a whole number."),
            models.DecimalField: gettext("'%(value)s' is not a number."),
            models.DateField: gettext("'%(value)s' is not a date (YYYY-MM-DD)."),
        }
        message = next(
            (w for t, w in what.items() if isinstance(model_field, t)),
            gettext("'%(value)s' is not valid."),
        )
        raise InputError(name, message % {"value": text}) from None


def _set(record: Any, name: str, value: Any) -> bool:
    if getattr(record, name) == value:
        return False
    setattr(record, name, value)
    return True


def _set_fields(record: models.Model, values: dict[str, str], names: tuple[str, ...]) -> bool:
    """Set each of `names` the row has a column for; a blank cell leaves a field that cannot be
    blank (a number, a choice, yes/no) as it is, or at its default on a new record."""
    changed = False
    for name in names:
        if name not in values:
            continue
        text = values[name]
        model_field = record._meta.get_field(name)
        text_field = isinstance(model_field, models.CharField | models.TextField)
        if text == "" and not text_field and not getattr(model_field, "null", False):
            continue
        changed |= _set(record, name, field_value(record, name, text))
    return changed


def _unit(column: str, value: str) -> BusinessUnit:
    unit = (
        BusinessUnit.objects.filter(code__iexact=value).first()
        or BusinessUnit.objects.filter(name__iexact=value).first()
    )
    if unit is None:
        raise InputError(
            column, gettext("No business unit has the code or name '%(value)s'.") % {"value": value}
        )
    return unit


def _service(column: str, code: str) -> Any:
    service = catalogue_selectors.service_by_code(code)
    if service is None:
        raise InputError(column, gettext("No service has the code '%(code)s'.") % {"code": code})
    return service


@dataclass(frozen=True)
class Kind:
    """One importable record type.

    `key`: the natural key columns; `columns`: canonical column -> accepted header spellings
    (lower case); `apply(values, context)`: (record with the row's values set, changed?) where
    `values` maps canonical columns present in the file to trimmed text. Row by row: `save`
    (the app's service, in a savepoint per row). In chunks: `prepare(rows, lock)` reads what
    a chunk's rows refer to (the context), `check(record, context, actor)` raises the service's
    `ForbiddenAction` for a row the actor may not write, `save_many(records, actor)` writes the
    chunk's new and changed records through the service.
    """

    name: str
    key: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    apply: Callable[[dict[str, str], Any], tuple[Any, bool]]
    save: Callable[[Any, AnyUser | None], Any] | None = None
    prepare: Callable[[list[dict[str, str]], bool], Any] | None = None
    check: Callable[[Any, Any, AnyUser | None], None] | None = None
    save_many: Callable[[list[Any], AnyUser | None], Any] | None = None
    label: StrOrPromise = ""  # in the reader's language
    # What the rows are, for a sentence ("Dry run of business units: units.csv").
    noun: StrOrPromise = ""
    # The model whose fields the columns set: their help text and choices describe a column.
    model: type[models.Model] | None = None
    # Canonical column -> what it holds, for a column whose model field has no help text.
    help: dict[str, StrOrPromise] = field(default_factory=dict)

    def key_of(self, values: dict[str, str]) -> str:
        """The row's natural key as compared (lower case; parts joined), "" when a part is blank."""
        parts = [values.get(column, "").lower() for column in self.key]
        return "\x1f".join(parts) if all(parts) else ""

    def header(self, column: str) -> str:
        """The header name a file writes for canonical `column` (English: the files' contract);
        `column` itself for a name the kind does not read (a model rule's field), "" for a rule
        on the whole record (Django's `__all__`)."""
        if column in self.columns:
            return self.columns[column][0]
        return "" if column == NON_FIELD_ERRORS else column

    def guide(self) -> list[ColumnGuide]:
        """Each column the kind reads, in order, as the pages describe it to the reader."""
        guides = []
        for column, spellings in self.columns.items():
            model_field = _model_field(self.model, column)
            description = self.help.get(column) or getattr(model_field, "help_text", "")
            choices: tuple[str, ...] = ()
            if model_field is not None and model_field.choices:
                choices = tuple(str(label) for _value, label in model_field.flatchoices)
            guides.append(
                ColumnGuide(
                    header=spellings[0],
                    aliases=tuple(s for s in spellings[1:] if s != spellings[0]),
                    description=str(description),
                    key=column in self.key,
                    choices=choices,
                )
            )
        return guides


@dataclass(frozen=True)
class ColumnGuide:
    """One column as the upload and job pages describe it: `header` and `aliases` are the
    English header names a file may use (shown as code), `description` and `choices` (the
    labels a choice column takes) are in the active language, `key` marks a key column."""

    header: str
    aliases: tuple[str, ...]
    description: str
    key: bool
    choices: tuple[str, ...]


def _model_field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


# --- Business units (row by row: a parent may be an earlier row of the same file) --------------


UNIT_FIELDS = ("name", "description", "review_cadence_days", "active")


def _apply_unit(values: dict[str, str], context: Any) -> tuple[models.Model, bool]:
    code = values["code"]
    unit = BusinessUnit.objects.filter(code=code).first()
    new = unit is None
    if unit is None:
        unit = BusinessUnit(code=code)
    changed = new | _set_fields(unit, values, UNIT_FIELDS)
    if "parent" in values:
        parent = _unit("parent", values["parent"]) if values["parent"] else None
        changed |= _set(unit, "parent_id", parent.pk if parent else None)
    return unit, changed


# --- Stakeholders (in chunks: a register has 100,000 people) -----------------------------------

STAKEHOLDER_FIELDS = (
    "name",
    "job_title",
    "phone",
    "role_type",
    "preferred_channel",
    "influence",
    "interest",
    "active",
)


@dataclass
class PeopleContext:
    """A chunk's stored people by lower-case email (a list: the register allows repeats), its
    units by lower-case code and name, and each stored person as read (for the write check)."""

    people: dict[str, list[Stakeholder]] = field(default_factory=dict)
    units: dict[str, BusinessUnit] = field(default_factory=dict)
    stored: dict[int, Stakeholder] = field(default_factory=dict)


def _prepare_people(rows: list[dict[str, str]], lock: bool) -> PeopleContext:
    """Two queries per chunk: the stored people with the chunk's emails (locked for a real run,
    so nobody's edit lands between reading and writing them) and the units the chunk names."""
    context = PeopleContext()
    emails = {r["email"].lower() for r in rows if r.get("email")}
    people = (
        Stakeholder.objects.annotate(email_key=Lower("email"))
        .filter(email_key__in=emails)
        .select_related("unit")
        .order_by("pk")
    )
    if lock:
        people = people.select_for_update(of=("self",))
    for person in people:
        context.people.setdefault(person.email.lower(), []).append(person)
        context.stored[person.pk] = copy.copy(person)
    names = {r["unit"].lower() for r in rows if r.get("unit")}
    units = list(
        BusinessUnit.objects.annotate(code_key=Lower("code"), name_key=Lower("name")).filter(
            Q(code_key__in=names) | Q(name_key__in=names)
        )
    )
    # A unit's code wins over another unit's name, as in `_unit`.
    context.units = {u.name.lower(): u for u in units} | {u.code.lower(): u for u in units}
    return context


def _chunk_unit(context: PeopleContext, value: str) -> BusinessUnit:
    unit = context.units.get(value.lower())
    if unit is None:
        raise InputError(
            "unit", gettext("No business unit has the code or name '%(value)s'.") % {"value": value}
        )
    return unit


def _apply_stakeholder(values: dict[str, str], context: PeopleContext) -> tuple[models.Model, bool]:
    email = values["email"]
    matches = context.people.get(email.lower(), [])
    if len(matches) > 1:
        raise InputError(
            "email",
            gettext("Several people in the register have the email %(email)s.") % {"email": email},
        )
    person = matches[0] if matches else None
    new = person is None
    if person is None:
        if not values.get("unit"):
            raise InputError(
                "unit", gettext("A new person needs their business unit (code or name).")
            )
        person = Stakeholder(email=email)
    changed = new
    if values.get("unit"):
        unit = _chunk_unit(context, values["unit"])
        if new or person.unit_id != unit.pk:
            person.unit = unit
            changed = True
    changed |= _set_fields(person, values, STAKEHOLDER_FIELDS)
    return person, changed


def _check_stakeholder(person: Stakeholder, context: PeopleContext, actor: AnyUser | None) -> None:
    stored = context.stored.get(person.pk) if person.pk is not None else None
    register_services.check_stakeholder_write(person, stored=stored, actor=actor)


def _save_people(people: list[Stakeholder], actor: AnyUser | None) -> None:
    register_services.save_stakeholders(people, fields=["unit", *STAKEHOLDER_FIELDS], actor=actor)


# --- The service catalogue (row by row: tens or hundreds of rows) ------------------------------

SERVICE_FIELDS = (
    "name",
    "description",
    "lifecycle",
    "availability_target",
    "response_time_target_minutes",
    "workload_limit",
    "workload_unit",
)
METRIC_FIELDS = (
    "period_end",
    "availability",
    "incidents",
    "major_incidents",
    "response_time_minutes",
    "workload",
)


def _apply_service(values: dict[str, str], context: Any) -> tuple[models.Model, bool]:
    service = catalogue_services.stage_service(values["code"], values.get("name", ""))
    changed = service.pk is None
    changed |= _set(service, "code", values["code"]) if service.code is None else False
    changed |= _set_fields(service, values, SERVICE_FIELDS)
    return service, changed


def _date(column: str, text: str) -> Any:
    try:
        day = models.DateField().to_python(text)
        date_in_range(day)
    except ValidationError as exc:
        if exc.code == date_in_range.code:
            raise InputError(column, exc.messages[0]) from None
        day = None
    if day is None:
        raise InputError(
            column, gettext("'%(value)s' is not a date (YYYY-MM-DD).") % {"value": text}
        )
    return day


def _apply_metric(values: dict[str, str], context: Any) -> tuple[models.Model, bool]:
    service = _service("service", values["service"])
    metric = catalogue_services.stage_metric(service, _date("period_start", values["period_start"]))
    changed = metric.pk is None
    changed |= _set_fields(metric, values, METRIC_FIELDS)
    return metric, changed


@dataclass
class Consumption:
    """A consumer row: `unit` consumes `service` (or, with `consumes_it` False, no longer)."""

    service: Any
    unit: BusinessUnit
    consumes_it: bool


def _apply_consumer(values: dict[str, str], context: Any) -> tuple[Consumption, bool]:
    service = _service("service", values["service"])
    unit = _unit("unit", values["unit"])
    wanted = True
    if values.get("consumes"):
        wanted = _yes_no("consumes", values["consumes"])
    now = catalogue_selectors.consumes(unit, service)
    return Consumption(service, unit, wanted), now != wanted


def _save_consumer(link: Consumption, actor: AnyUser | None) -> None:
    catalogue_services.set_consumer(
        link.service, link.unit, consumes_it=link.consumes_it, actor=actor
    )


# What a yes/no column takes, and what a blank cell does (`_set_fields`).
YES_NO = _("Yes or no; blank leaves it as it is (yes on a new record).")
SERVICE_CODE = _("Code of the service.")

KINDS: dict[str, Kind] = {
    "units": Kind(
        name="units",
        label=_("Business units (by code)"),
        noun=_("business units"),
        model=BusinessUnit,
        help={
            "name": _("Name of the unit."),
            "parent": _("Code or name of the unit it belongs to; blank for a top-level unit."),
            "description": _("What the unit does."),
            "active": YES_NO,
        },
        key=("code",),
        columns={
            "code": ("code", "unit code"),
            "name": ("name",),
            "parent": ("parent", "parent code", "parent unit"),
            "description": ("description",),
            "review_cadence_days": ("review cadence days", "review_cadence_days"),
            "active": ("active",),
        },
        apply=_apply_unit,
        save=lambda unit, actor: register_services.save_unit(unit, actor=actor),
    ),
    "stakeholders": Kind(
        name="stakeholders",
        label=_("Stakeholders (by email)"),
        noun=_("stakeholders"),
        model=Stakeholder,
        help={
            "email": _("Email address: it tells the person apart in the register."),
            "name": _("Full name."),
            "job_title": _("Job title."),
            "unit": _("Code or name of their business unit; a new person needs one."),
            "role_type": _("Their role towards IT."),
            "phone": _("Phone number."),
            "preferred_channel": _("How they prefer to be contacted."),
            "active": YES_NO,
        },
        key=("email",),
        columns={
            "email": ("email",),
            "name": ("name",),
            "job_title": ("job title", "job_title"),
            "unit": ("unit", "unit code", "business unit"),
            "role_type": ("role", "role type", "role_type"),
            "influence": ("influence",),
            "interest": ("interest",),
            "phone": ("phone",),
            "preferred_channel": ("preferred channel", "preferred_channel"),
            "active": ("active",),
        },
        apply=_apply_stakeholder,
        prepare=_prepare_people,
        check=_check_stakeholder,
        save_many=_save_people,
    ),
    "services": Kind(
        name="services",
        label=_("Services (by code)"),
        noun=_("services"),
        model=_CATALOGUE_MODELS["services"],
        help={
            "name": _("Name of the service."),
            "description": _("What the service does."),
            "lifecycle": _("Where the service is in its lifecycle."),
            "workload_unit": _("What the workload counts, e.g. requests."),
        },
        key=("code",),
        columns={
            "code": ("code", "service code"),
            "name": ("name", "service"),
            "description": ("description",),
            "lifecycle": ("lifecycle",),
            "availability_target": ("availability target", "availability_target"),
            "response_time_target_minutes": (
                "response time target minutes",
                "response_time_target_minutes",
            ),
            "workload_limit": ("workload limit", "workload_limit"),
            "workload_unit": ("workload unit", "workload_unit"),
        },
        apply=_apply_service,
        save=lambda service, actor: catalogue_services.save_service(service, actor=actor),
    ),
    "consumers": Kind(
        name="consumers",
        label=_("Service consumers (by service code and unit code)"),
        noun=_("service consumers"),
        help={
            "service": SERVICE_CODE,
            "unit": _("Code or name of the business unit that consumes the service."),
            "consumes": _("Yes, or no to stop the unit consuming it; blank is yes."),
        },
        key=("service", "unit"),
        columns={
            "service": ("service", "service code"),
            "unit": ("unit", "unit code", "business unit", "consumer"),
            "consumes": ("consumes", "active"),
        },
        apply=_apply_consumer,
        save=_save_consumer,
    ),
    "metrics": Kind(
        name="metrics",
        label=_("Service metrics (by service code and period start)"),
        noun=_("service metrics"),
        model=_CATALOGUE_MODELS["metrics"],
        help={
            "service": SERVICE_CODE,
            "period_start": _("First day of the period (YYYY-MM-DD)."),
            "period_end": _("End of the period (YYYY-MM-DD), after its start."),
            "availability": _("Availability in the period, in %."),
            "incidents": _("Incidents in the period."),
            "major_incidents": _("Major incidents, counted among the incidents."),
        },
        key=("service", "period_start"),
        columns={
            "service": ("service", "service code"),
            "period_start": ("period start", "period_start"),
            "period_end": ("period end", "period_end"),
            "availability": ("availability",),
            "incidents": ("incidents",),
            "major_incidents": ("major incidents", "major_incidents"),
            "response_time_minutes": ("response time minutes", "response_time_minutes"),
            "workload": ("workload",),
        },
        apply=_apply_metric,
        save=lambda metric, actor: catalogue_services.save_metric(metric, actor=actor),
    ),
}
