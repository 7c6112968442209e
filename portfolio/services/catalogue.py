"""Operations that change the service portfolio, shared by the API, admin and demo data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from brm.core.errors import InputError
from brm.core.roles import require
from portfolio.models.catalogue import Service, ServiceMetric, metric_errors
from portfolio.permissions import may_edit_catalogue
from portfolio.selectors.catalogue import consumed_services, consumes

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from stakeholders.models import BusinessUnit

METRIC_FIELDS = (
    "availability",
    "incidents",
    "major_incidents",
    "response_time_minutes",
    "workload",
)


def check_consumed(
    unit: BusinessUnit, services: Iterable[Service | None], *, field: str = "services"
) -> None:
    """A record of `unit` (a review, a complaint, a change request) names only services the unit
    consumes (`portfolio.selectors.catalogue.consumed_services`), else IT would discuss, and the
    unit's leader read, figures of another unit's service. None entries (no service) pass.

    Raises `InputError(field, ...)` (400, a form error) naming the others; one query.
    """
    wanted = {s.pk: s for s in services if s is not None}
    if not wanted:
        return
    consumed = set(consumed_services(unit).filter(pk__in=wanted).values_list("pk", flat=True))
    strangers = sorted(s.name for pk, s in wanted.items() if pk not in consumed)
    if strangers:
        names = ", ".join(strangers)
        raise InputError(
            field,
            gettext("%(unit)s does not consume %(services)s; choose one of its services.")
            % {"unit": unit.name, "services": names},
        )


@transaction.atomic
def save_service(
    service: Service, *, actor: AnyUser | None, consumers: Iterable[BusinessUnit] | None = None
) -> Service:
    """Add a service to the catalogue or save changes to one; with `consumers`, replace them.

    Raises `ForbiddenAction` (nothing saved) unless `may_edit_catalogue(actor)`.
    """
    require(
        may_edit_catalogue(actor),
        gettext("Only administrators and integrations change the catalogue."),
    )
    service.save()
    if consumers is not None:
        service.consumers.set(consumers)
    return service


def stage_service(code: str, name: str = "") -> Service:
    """The catalogue entry a record keyed by `code` (an import row) writes to, for the caller to
    set fields on and pass to `save_service`: the stored service with that code
    (case-insensitive); else a stored service with no code yet named `name` (services added
    before codes existed: the caller sets the code, and it is kept); else a new, unsaved one.
    Reads only (at most two queries)."""
    found = Service.objects.filter(code__iexact=code).first()
    if found is None and name:
        found = Service.objects.filter(code__isnull=True, name__iexact=name).first()
    return found or Service(code=code)


@transaction.atomic
def delete_service(service: Service, *, actor: AnyUser | None) -> None:
    """Remove a service from the catalogue (`ProtectedError` while records use it).

    Raises `ForbiddenAction` unless `may_edit_catalogue(actor)`.
    """
    require(
        may_edit_catalogue(actor),
        gettext("Only administrators and integrations change the catalogue."),
    )
    service.delete()


@dataclass
class MetricInput:
    service: Service
    period_start: date
    period_end: date
    figures: dict[str, Any]


@transaction.atomic
def upsert_metrics(
    rows: Sequence[MetricInput], *, actor: AnyUser | None
) -> list[tuple[ServiceMetric, bool]]:
    """Create or update the figures of each (service, period), all or nothing.

    Pushing the same period again updates it. A period that overlaps a different stored (or
    pushed) period of the same service is refused: counting those days twice would distort the
    pack. The services are locked so two pushes for one service cannot interleave.
    Returns (metric, created) pairs in input order. Raises `ForbiddenAction` (nothing written)
    unless `may_edit_catalogue(actor)`; `actor` None is the system (demo data, imports).
    """
    require(
        may_edit_catalogue(actor),
        gettext("Only administrators and integrations change the catalogue."),
    )
    service_ids = sorted({r.service.pk for r in rows})
    # Lock in id order so concurrent bulk pushes never deadlock on each other.
    services = {s.pk: s for s in Service.objects.select_for_update().filter(pk__in=service_ids)}
    errors: dict[str, list[str]] = {}
    for i, row in enumerate(rows):
        period = metric_errors(row.period_start, row.period_end).get("period_end")
        if period is not None:
            errors[f"{i}"] = [str(period)]
            continue
        for j, other in enumerate(rows[:i]):
            if (
                other.service.pk == row.service.pk
                and other.period_start <= row.period_end
                and other.period_end >= row.period_start
            ):
                errors[f"{i}"] = [
                    gettext("Overlaps row %(row)s for the same service.") % {"row": j}
                ]
                break
    if errors:
        raise ValidationError(errors)
    results: list[tuple[ServiceMetric, bool]] = []
    for i, row in enumerate(rows):
        service = services[row.service.pk]
        existing = list(
            ServiceMetric.objects.filter(service=service).overlapping(
                row.period_start, row.period_end
            )
        )
        same = [
            m
            for m in existing
            if (m.period_start, m.period_end) == (row.period_start, row.period_end)
        ]
        clash = [m for m in existing if m not in same]
        if clash:
            m = clash[0]
            errors[f"{i}"] = [
                gettext(
                    "Overlaps the stored period %(start)s..%(end)s of %(service)s; "
                    "push that exact period to update it."
                )
                % {"start": m.period_start, "end": m.period_end, "service": service.name}
            ]
            continue
        metric = (
            same[0]
            if same
            else ServiceMetric(
                service=service, period_start=row.period_start, period_end=row.period_end
            )
        )
        for name in METRIC_FIELDS:
            if name in row.figures:
                setattr(metric, name, row.figures[name])
        metric.service = service
        metric.full_clean(validate_unique=False, validate_constraints=False)
        metric.save()
        results.append((metric, not same))
    if errors:
        # Raising inside the atomic block rolls back the rows already written.
        raise ValidationError(errors)
    return results


def stage_metric(service: Service, period_start: date) -> ServiceMetric:
    """The stored figures of `service` for the period starting `period_start` (the natural key:
    service code plus period), or new unsaved ones, for the caller to fill in and pass to
    `save_metric`. One query."""
    found = ServiceMetric.objects.filter(service=service, period_start=period_start).first()
    return found or ServiceMetric(service=service, period_start=period_start)


def save_metric(metric: ServiceMetric, *, actor: AnyUser | None) -> ServiceMetric:
    """Save one period's figures as set on `metric` through `upsert_metrics` (same rules: the
    period ends after it starts and overlaps no other stored period of the service).

    Raises `ForbiddenAction` unless `may_edit_catalogue(actor)`, `InputError("period_end", ...)`
    (400) for a period that overlaps another, `ValidationError` for a bad figure.
    """
    figures = {name: getattr(metric, name) for name in METRIC_FIELDS}
    row = MetricInput(metric.service, metric.period_start, metric.period_end, figures)
    try:
        [(saved, _created)] = upsert_metrics([row], actor=actor)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and set(exc.message_dict) == {"0"}:
            raise InputError("period_end", exc.message_dict["0"][0]) from exc
        raise
    return saved


@transaction.atomic
def set_consumer(
    service: Service, unit: BusinessUnit, *, consumes_it: bool, actor: AnyUser | None
) -> bool:
    """Record that `unit` consumes `service` (`consumes_it`), or no longer does; True when that
    changed something (nothing is written otherwise, so doing it twice changes nothing).

    Raises `ForbiddenAction` (nothing saved) unless `may_edit_catalogue(actor)`.
    """
    require(
        may_edit_catalogue(actor),
        gettext("Only administrators and integrations change the catalogue."),
    )
    if consumes(unit, service) == consumes_it:
        return False
    if consumes_it:
        service.consumers.add(unit)
    else:
        service.consumers.remove(unit)
    return True
