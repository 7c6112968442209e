"""Read-side of surveys: response rates, results aggregates and perception per unit.

Everything is aggregated in the database (`values().annotate()`), so the number of queries does
not grow with responses, units or services. Anonymous campaigns never expose single answers:
comments are left out and groups smaller than the anonymity minimum are suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db.models import Avg, Count, Q, QuerySet

from satisfaction.models import Answer, Campaign, Invitation, QuestionKind, SatisfactionSettings

CSAT = Q(question__kind=QuestionKind.CSAT)
NPS = Q(question__kind=QuestionKind.NPS)


def _score_aggregates() -> dict[str, Any]:
    return {
        "responses": Count("response", distinct=True),
        "csat_mean": Avg("score", filter=CSAT),
        "csat_n": Count("id", filter=CSAT & Q(score__isnull=False)),
        "promoters": Count("id", filter=NPS & Q(score__gte=9)),
        "passives": Count("id", filter=NPS & Q(score__gte=7, score__lte=8)),
        "detractors": Count("id", filter=NPS & Q(score__lte=6)),
        "nps_n": Count("id", filter=NPS & Q(score__isnull=False)),
    }


def nps(promoters: int, detractors: int, total: int) -> float | None:
    """% promoters (9-10) minus % detractors (0-6), one decimal; None without answers."""
    if not total:
        return None
    return round(100.0 * (promoters - detractors) / total, 1)


@dataclass
class Figures:
    """CSAT/NPS of one group (a campaign, unit or service), or why it is hidden."""

    key: Any = None
    label: str = ""
    responses: int = 0
    csat_mean: float | None = None
    csat_n: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    nps_n: int = 0
    suppressed: bool = False

    @property
    def nps(self) -> float | None:
        return nps(self.promoters, self.detractors, self.nps_n)

    def pct(self, part: int) -> float | None:
        return round(100.0 * part / self.nps_n, 1) if self.nps_n else None

    @property
    def promoters_pct(self) -> float | None:
        return self.pct(self.promoters)

    @property
    def passives_pct(self) -> float | None:
        return self.pct(self.passives)

    @property
    def detractors_pct(self) -> float | None:
        return self.pct(self.detractors)

    def as_dict(self) -> dict[str, Any]:
        if self.suppressed:
            return {"key": self.key, "label": self.label, "suppressed": True}
        return {
            "key": self.key,
            "label": self.label,
            "suppressed": False,
            "responses": self.responses,
            "csat": round(self.csat_mean, 2) if self.csat_mean is not None else None,
            "csat_answers": self.csat_n,
            "nps": self.nps,
            "nps_answers": self.nps_n,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
        }


def _figures(row: Mapping[str, Any], key: Any, label: str, hide_below: int) -> Figures:
    scores: dict[str, Any] = {
        k: row.get(k) or (None if k == "csat_mean" else 0) for k in _score_aggregates()
    }
    fig = Figures(
        key=key,
        label=label,
        **scores,
    )
    if fig.csat_mean is not None:
        fig.csat_mean = float(fig.csat_mean)
    if fig.responses < hide_below:
        return Figures(key=key, label=label, responses=fig.responses, suppressed=True)
    return fig


@dataclass
class Results:
    campaign: Campaign
    min_group: int
    overall: Figures
    by_unit: list[Figures] = field(default_factory=list)
    by_service: list[Figures] = field(default_factory=list)
    distribution: dict[str, list[dict[str, int]]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def anonymous(self) -> bool:
        return self.campaign.anonymous

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign.pk,
            "anonymous": self.anonymous,
            "min_group": self.min_group if self.anonymous else None,
            "overall": self.overall.as_dict(),
            "by_unit": [f.as_dict() for f in self.by_unit],
            "by_service": [f.as_dict() for f in self.by_service],
            "distribution": self.distribution,
        }


def campaign_answers(campaign: Campaign, unit_ids: Iterable[int] | None = None) -> QuerySet[Any]:
    """Answers of a campaign, or of all runs of a recurring series."""
    qs = Answer.objects.filter(
        Q(response__campaign=campaign) | Q(response__campaign__parent=campaign)
    )
    if unit_ids is not None:
        qs = qs.filter(response__unit_id__in=list(unit_ids))
    return qs


def results(
    campaign: Campaign,
    *,
    unit_ids: Iterable[int] | None = None,
    conf: SatisfactionSettings | None = None,
    with_comments: bool = True,
) -> Results:
    """Results of a campaign, in five queries whatever its size (plus one for comments):
    overall, per unit, per service, the score distribution and (not anonymous) the comments.
    `unit_ids` narrows everything to those units (a leader's own unit).
    """
    conf = conf or SatisfactionSettings.get()
    hide = conf.anonymity_min_group if campaign.anonymous else 0
    answers = campaign_answers(campaign, unit_ids)
    overall = _figures(answers.aggregate(**_score_aggregates()), None, "All", hide)
    by_unit = [
        _figures(row, row["response__unit"], row["response__unit__name"], hide)
        for row in answers.values("response__unit", "response__unit__name")
        .annotate(**_score_aggregates())
        .order_by("response__unit__name")
    ]
    by_service = []
    for row in (
        answers.filter(question__kind=QuestionKind.SERVICE_RATING, service__isnull=False)
        .values("service", "service__name")
        .annotate(
            responses=Count("response", distinct=True), csat_mean=Avg("score"), csat_n=Count("id")
        )
        .order_by("service__name")
    ):
        by_service.append(_figures(row, row["service"], row["service__name"], hide))
    distribution: dict[str, list[dict[str, int]]] = {"csat": [], "nps": []}
    if not overall.suppressed:
        counts = {
            (r["question__kind"], r["score"]): r["n"]
            for r in answers.filter(
                question__kind__in=[QuestionKind.CSAT, QuestionKind.NPS], score__isnull=False
            )
            .values("question__kind", "score")
            .annotate(n=Count("id"))
        }
        distribution = {
            "csat": [{"score": s, "count": counts.get(("csat", s), 0)} for s in range(1, 6)],
            "nps": [{"score": s, "count": counts.get(("nps", s), 0)} for s in range(0, 11)],
        }
    comments: list[dict[str, Any]] = []
    if with_comments and not campaign.anonymous:
        comments = list(
            answers.filter(question__kind=QuestionKind.FREE_TEXT)
            .exclude(text="")
            .values("text", "response__unit__name", "response__submitted_at", "question__text")
            .order_by("-response__submitted_at", "-pk")[:100]
        )
    return Results(
        campaign, conf.anonymity_min_group, overall, by_unit, by_service, distribution, comments
    )


def trend(
    campaigns: QuerySet[Any], *, unit_ids: Iterable[int] | None = None, hide_below: int = 0
) -> list[dict[str, Any]]:
    """CSAT and NPS per campaign run, oldest first, in one query (anonymous small groups hidden)."""
    qs = Answer.objects.filter(response__campaign__in=campaigns)
    if unit_ids is not None:
        qs = qs.filter(response__unit_id__in=list(unit_ids))
    rows = (
        qs.values(
            "response__campaign",
            "response__campaign__name",
            "response__campaign__opened_at",
            "response__campaign__anonymous",
        )
        .annotate(**_score_aggregates())
        .order_by("response__campaign__opened_at", "response__campaign")
    )
    out = []
    # Each row also has the aggregates passed as ** above, which the checker cannot name.
    for row in cast("Iterable[dict[str, Any]]", rows):
        hide = hide_below if row["response__campaign__anonymous"] else 0
        fig = _figures(row, row["response__campaign"], row["response__campaign__name"], hide)
        d = fig.as_dict()
        opened = row["response__campaign__opened_at"]
        d["date"] = opened.date().isoformat() if opened else ""
        out.append(d)
    return out


@dataclass
class Rate:
    invited: int
    sent: int
    answered: int
    reminded: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.answered / self.sent, 1) if self.sent else 0.0


def response_rate(campaign: Campaign) -> Rate:
    """Invited, sent, answered and reminded counts of a campaign (and its runs), one query."""
    row = Invitation.objects.filter(Q(campaign=campaign) | Q(campaign__parent=campaign)).aggregate(
        invited=Count("id"),
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        reminded=Count("id", filter=Q(reminders_sent__gt=0)),
    )
    return Rate(**row)


def perception_by_unit(since: datetime, until: datetime) -> dict[int, dict[str, Any]]:
    """Per unit: CSAT mean, NPS and response count of answers submitted in [since, until).

    One set-based query over every campaign and pulse, for the health engine. Each value is a
    plain dict: unit_id, csat (mean 1-5 or None), nps (-100..100 or None), responses,
    csat_answers, nps_answers.
    """
    rows = (
        Answer.objects.filter(
            response__submitted_at__gte=since,
            response__submitted_at__lt=until,
            question__kind__in=[QuestionKind.CSAT, QuestionKind.NPS],
        )
        .values("response__unit")
        .annotate(**_score_aggregates())
        .order_by()
    )
    return {
        r["response__unit"]: {
            "unit_id": r["response__unit"],
            "csat": round(float(r["csat_mean"]), 2) if r["csat_mean"] is not None else None,
            "nps": nps(r["promoters"], r["detractors"], r["nps_n"]),
            "responses": r["responses"],
            "csat_answers": r["csat_n"],
            "nps_answers": r["nps_n"],
        }
        # Each row also has the aggregates passed as ** above, which the checker cannot name.
        for r in cast("Iterable[dict[str, Any]]", rows)
    }


def invitations_by_unit(since: datetime, until: datetime) -> dict[int, dict[str, int]]:
    """Survey invitations sent in [since, until] per stakeholder unit: `invited`, `answered` and
    `people` (distinct stakeholders asked) (one query), for the ISO/IEC 20000 evidence report."""
    rows = (
        Invitation.objects.filter(sent_at__range=(since, until))
        .order_by()
        .values("stakeholder__unit_id")
        .annotate(
            invited=Count("id"),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            people=Count("stakeholder", distinct=True),
        )
    )
    return {
        r["stakeholder__unit_id"]: {
            "invited": r["invited"],
            "answered": r["answered"],
            "people": r["people"],
        }
        for r in rows
    }


def survey_comments(unit_id: int, since: datetime, limit: int = 8) -> list[Answer]:
    """A unit's recent free-text answers (submitted since `since`), newest first, never from
    anonymous campaigns (one query)."""
    return list(
        Answer.objects.filter(
            response__unit_id=unit_id,
            response__submitted_at__gte=since,
            response__campaign__anonymous=False,
            question__kind=QuestionKind.FREE_TEXT,
        )
        .exclude(text="")
        .select_related("response__campaign")
        .order_by("-response__submitted_at", "-pk")[:limit]
    )
