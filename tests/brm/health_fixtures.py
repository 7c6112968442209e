"""Builders for health tests: each creates exactly the records a component reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.factories import ServiceFactory, ServiceMetricFactory, SurveyTemplateFactory

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def metrics(unit, *, met: int, missed: int, name: str = "Payroll service", now=None):
    """`met` + `missed` two-week periods ending inside the 90-day window before `now`."""
    service = ServiceFactory.create(name=name, availability_target="99.00")
    service.consumers.add(unit)
    end = (now or NOW).date() - timedelta(days=1)
    for i in range(met + missed):
        start = end - timedelta(days=14)
        ServiceMetricFactory.create(
            service=service,
            period_start=start,
            period_end=end,
            availability="99.90" if i < met else "95.00",
            incidents=0,
            major_incidents=0,
        )
        end = start - timedelta(days=1)
    return service


def survey(unit, scores: list[tuple[int | None, int | None]], *, at: datetime | None = None):
    """One response per (csat, nps) pair, submitted at `at` (default 10 days before NOW)."""
    from satisfaction.models import Answer, Campaign, Response

    template = SurveyTemplateFactory.create(questions=["csat", "nps"])
    csat_q, nps_q = (template.questions.get(kind=k) for k in ("csat", "nps"))
    campaign = Campaign.objects.create(template=template, name=f"Survey {template.pk}")
    when = at or NOW - timedelta(days=10)
    for csat, nps in scores:
        response = Response.objects.create(campaign=campaign, unit=unit, submitted_at=when)
        if csat is not None:
            Answer.objects.create(response=response, question=csat_q, score=csat)
        if nps is not None:
            Answer.objects.create(response=response, question=nps_q, score=nps)


def day(n: int) -> date:
    return NOW.date() - timedelta(days=n)


def texts(facts) -> list[str]:
    """The sentences of facts, computed (`Fact`) or stored (`{"text": ...}`)."""
    return [f["text"] if isinstance(f, dict) else str(f) for f in facts]
