"""Read-side queries of the service portfolio, including the performance pack of a review.

Each function runs a fixed number of queries whatever the number of services or periods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, F, Min, Q, QuerySet, Sum

from brm.core.counting import count_of, through_rows
from brm.core.roles import reads_all_units
from portfolio.models.catalogue import Lifecycle, Service, ServiceMetric

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from stakeholders.models import BusinessUnit


def described_models() -> dict[str, type[Service] | type[ServiceMetric]]:
    """The catalogue's models by bulk-import kind ("services", "metrics"), for reading their
    fields' metadata (help text, choices) to describe an import file's columns; never for rows."""
    return {"services": Service, "metrics": ServiceMetric}


def service_rows(user: AnyUser) -> QuerySet[Service]:
    """The catalogue as the user may see it, by name: what the API lists, and what
    `service_list` adds the page's figures to."""
    return Service.objects.visible_to(user).order_by("name")


def service_list(user: AnyUser) -> QuerySet[Service]:
    """The catalogue as the user may see it, with its owners, consumer counts and SLA periods
    (one query)."""
    return (
        service_rows(user)
        .select_related("owner")
        .annotate(
            # Each relation counted on its own (brm.core.counting): joined, they multiplied.
            consumer_count=count_of(*through_rows(Service.consumers)),
            periods=count_of(ServiceMetric.objects.all(), "service"),
            periods_met=count_of(ServiceMetric.objects.filter(sla_met=True), "service"),
        )
    )


def consumed_services(unit: BusinessUnit | int) -> QuerySet[Service]:
    """The services `unit` (a unit or its id) consumes, in any lifecycle, by name (lazy query).

    The one answer to "which services may a record of this unit name": the choices of review,
    complaint and change-request forms and the check in `portfolio.services.catalogue.
    check_consumed` both read it.
    """
    unit_id = unit if isinstance(unit, int) else unit.pk
    return Service.objects.filter(
        pk__in=Service.consumers.through.objects.filter(businessunit_id=unit_id).values(
            "service_id"
        )
    ).order_by("name")


def service_by_code(code: str) -> Service | None:
    """The service whose natural key `code` is `code`, case-insensitively (one query), or None."""
    return Service.objects.filter(code__iexact=code).first() if code else None


def consumes(unit: BusinessUnit | int, service: Service) -> bool:
    """Whether `unit` (a unit or its id) consumes `service` (one query, `consumed_services`)."""
    return consumed_services(unit).filter(pk=service.pk).exists()


def consumed_by_any(units: Iterable[int]) -> QuerySet[Service]:
    """The services any of `units` (ids) consumes, by name (lazy query): the choices of a form
    where the unit is picked in the same form (`check_consumed` then checks the pair)."""
    return Service.objects.filter(
        pk__in=Service.consumers.through.objects.filter(businessunit_id__in=units).values(
            "service_id"
        )
    ).order_by("name")


def visible_service_ids(user: AnyUser) -> frozenset[int] | None:
    """The ids of the services `user` may see in the catalogue, or None for every service.

    IT-side roles read the whole catalogue (None, no query); a business leader only the services
    their unit consumes (one query). Pages and the API drop what is not in it from records that
    name services (a review's pack and services, a change request's service), so nobody reads
    figures of a service that is a 404 for them.
    """
    if reads_all_units(user):
        return None
    return frozenset(Service.objects.visible_to(user).values_list("pk", flat=True))


def pack_for(pack: dict[str, Any], visible: frozenset[int] | None) -> dict[str, Any]:
    """A performance pack (`performance_pack`'s shape) with only the rows of `visible` services
    (`visible_service_ids`; None keeps all) and its met/missed/all-green totals recounted."""
    if visible is None or not pack:
        return pack
    rows = [r for r in pack.get("services", []) if r.get("service_id") in visible]
    with_data = [r for r in rows if r.get("sla_met") is not None]
    return {
        **pack,
        "services": rows,
        "services_met": sum(1 for r in with_data if r["sla_met"]),
        "services_missed": sum(1 for r in with_data if not r["sla_met"]),
        "all_green": bool(with_data) and all(r["sla_met"] for r in with_data),
    }


def metric_history(service: Service, *, limit: int = 24) -> list[dict[str, Any]]:
    """The last `limit` periods, oldest first, for the table and the chart (one query)."""
    rows = list(ServiceMetric.objects.filter(service=service).order_by("-period_start")[:limit])
    rows.reverse()
    return [
        {
            "period": m.period_start.isoformat(),
            "period_end": m.period_end.isoformat(),
            "availability": float(m.availability),
            "target": float(service.availability_target),
            "incidents": m.incidents,
            "major_incidents": m.major_incidents,
            "workload": m.workload,
            "workload_limit": service.workload_limit,
            "over_limit": bool(
                service.workload_limit is not None
                and m.workload is not None
                and m.workload > service.workload_limit
            ),
            "response_time_minutes": m.response_time_minutes,
            "sla_met": m.sla_met,
        }
        for m in rows
    ]


def _num(value: Decimal | float | None, places: int = 3) -> float | None:
    return None if value is None else round(float(value), places)


def performance_pack(
    unit: BusinessUnit,
    start: date,
    end: date,
    *,
    service_ids: Iterable[int] | None = None,
    services: Sequence[Service] | None = None,
) -> dict[str, Any]:
    """Per-service figures for the periods that ended between `start` and `end` (three queries,
    two when the caller passes the `services` it already loaded, in the order to show them).

    Covers `services` or `service_ids` if given, else every service the unit consumes that is
    not in the pipeline. Availability is the mean over the periods; counts are sums. The result
    is plain JSON so a held review can keep it unchanged.
    """
    if services:
        services = list(services)
    else:
        services_qs = Service.objects.all()
        ids = list(service_ids) if service_ids is not None else None
        if ids:
            services_qs = services_qs.filter(pk__in=ids)
        else:
            services_qs = services_qs.filter(consumers=unit).exclude(lifecycle=Lifecycle.PIPELINE)
        services = list(services_qs.order_by("name"))
    in_period = ServiceMetric.objects.filter(
        service__in=[s.pk for s in services], period_end__gte=start, period_end__lte=end
    )
    figures = {
        row["service"]: row
        for row in in_period.values("service").annotate(
            periods=Count("id"),
            periods_met=Count("id", filter=Q(sla_met=True)),
            availability_avg=Avg("availability"),
            availability_min=Min("availability"),
            incidents_total=Sum("incidents"),
            major_total=Sum("major_incidents"),
            workload_total=Sum("workload"),
            over_limit=Count("id", filter=Q(workload__gt=F("service__workload_limit"))),
            response_avg=Avg("response_time_minutes"),
        )
    }
    trends: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for service_id, period_start, availability, sla_met in in_period.order_by(
        "period_start"
    ).values_list("service", "period_start", "availability", "sla_met"):
        trends[service_id].append(
            {
                "period": period_start.isoformat(),
                "availability": float(availability),
                "met": sla_met,
            }
        )
    rows = []
    for s in services:
        f: Mapping[str, Any] = figures.get(s.pk, {})
        periods = f.get("periods", 0)
        rows.append(
            {
                "service_id": s.pk,
                "name": s.name,
                "lifecycle": s.lifecycle,
                "availability_target": float(s.availability_target),
                "availability_avg": _num(f.get("availability_avg")),
                "availability_min": _num(f.get("availability_min")),
                "response_time_target_minutes": s.response_time_target_minutes,
                "response_time_avg_minutes": _num(f.get("response_avg"), 1),
                "periods": periods,
                "periods_met": f.get("periods_met", 0),
                "periods_missed": periods - f.get("periods_met", 0),
                # No figures is "no data", never a silent green.
                "sla_met": (periods > 0 and f.get("periods_met") == periods) if periods else None,
                "incidents": f.get("incidents_total") or 0,
                "major_incidents": f.get("major_total") or 0,
                "workload": f.get("workload_total"),
                "workload_limit": s.workload_limit,
                "workload_unit": s.workload_unit,
                "periods_over_limit": f.get("over_limit", 0),
                "trend": trends.get(s.pk, []),
            }
        )
    with_data = [r for r in rows if r["sla_met"] is not None]
    return {
        "unit_id": unit.pk,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "services": rows,
        "services_met": sum(1 for r in with_data if r["sla_met"]),
        "services_missed": sum(1 for r in with_data if not r["sla_met"]),
        "all_green": bool(with_data) and all(r["sla_met"] for r in with_data),
    }


# --- Figures the top floor reads (health engine, evidence report) ------------------------------


def sla_periods_by_unit(first_end: date, last_end: date) -> dict[int, dict[str, int]]:
    """Service-metric periods ending from `first_end` to `last_end` (inclusive), per consuming
    unit: `periods`, `met` (SLA met) and `over` (volume above the workload limit) (one query)."""
    rows = (
        ServiceMetric.objects.filter(
            period_end__gte=first_end, period_end__lte=last_end, service__consumers__isnull=False
        )
        .order_by()
        .values("service__consumers")
        .annotate(
            periods=Count("id"),
            met=Count("id", filter=Q(sla_met=True)),
            over=Count(
                "id",
                filter=Q(
                    service__workload_limit__isnull=False,
                    workload__gt=F("service__workload_limit"),
                ),
            ),
        )
    )
    return {
        r["service__consumers"]: {"periods": r["periods"], "met": r["met"], "over": r["over"]}
        for r in rows
    }


def sla_misses_by_unit(first_end: date, last_end: date) -> dict[int, list[tuple[str, int]]]:
    """Per consuming unit, each service that missed its SLA in periods ending from `first_end`
    to `last_end` with the number of missed periods, most missed first (one query)."""
    rows = (
        ServiceMetric.objects.filter(
            period_end__gte=first_end,
            period_end__lte=last_end,
            service__consumers__isnull=False,
            sla_met=False,
        )
        .values("service__consumers", "service__name")
        .annotate(n=Count("id"))
        .order_by("-n", "service__name")
    )
    out: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for r in rows:
        out[r["service__consumers"]].append((r["service__name"], r["n"]))
    return dict(out)
