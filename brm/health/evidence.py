"""ISO/IEC 20000 evidence per unit and period, for an auditor.

The standard asks for service reviews and satisfaction measurement at planned intervals,
complaints recorded, managed to closure and escalated, and service performance and workload
reported against agreed targets. Each column below comes from one GROUP BY query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from complaints import selectors as complaint_selectors
from portfolio.selectors import catalogue as catalogue_selectors
from reviews import selectors as review_selectors
from satisfaction import selectors as survey_selectors
from stakeholders import selectors as register_selectors

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

# The CSV's header: a data contract (spreadsheets and scripts read the columns by these names),
# so it stays English whatever the reader's language; the page and PDF show `LABELS`.
HEADER = [
    "Business unit",
    "Reviews expected",
    "Reviews planned",
    "Reviews held",
    "Survey invitations",
    "Survey responses",
    "Response rate %",
    "Stakeholders covered %",
    "Complaints recorded",
    "Complaints closed",
    "Complaints escalated",
    "SLA periods",
    "SLA periods met",
    "SLA met %",
    "Periods over workload limit",
]
LABELS = [
    gettext_lazy("Business unit"),
    gettext_lazy("Reviews expected"),
    gettext_lazy("Reviews planned"),
    gettext_lazy("Reviews held"),
    gettext_lazy("Survey invitations"),
    gettext_lazy("Survey responses"),
    gettext_lazy("Response rate %"),
    gettext_lazy("Stakeholders covered %"),
    gettext_lazy("Complaints recorded"),
    gettext_lazy("Complaints closed"),
    gettext_lazy("Complaints escalated"),
    gettext_lazy("SLA periods"),
    gettext_lazy("SLA periods met"),
    gettext_lazy("SLA met %"),
    gettext_lazy("Periods over workload limit"),
]


@dataclass
class EvidenceReport:
    start: date
    end: date
    rows: list[list[Any]] = field(default_factory=list)
    header: list[str] = field(default_factory=lambda: list(HEADER))

    @property
    def labels(self) -> list[str]:
        """The columns' names in the active language, for the page and the PDF."""
        return [str(label) for label in LABELS]

    @property
    def totals(self) -> list[Any]:
        """The totals row (shares are not summed), first cell in the active language."""
        if not self.rows:
            return []
        sums: list[Any] = [gettext("All units")]
        for i in range(1, len(self.header)):
            values = [r[i] for r in self.rows if isinstance(r[i], int | float)]
            sums.append("" if self.header[i].endswith("%") else sum(values))
        return sums


def _pct(a: int, b: int) -> float | str:
    return round(100 * a / b, 1) if b else ""


def evidence_report(user: AnyUser, start: date, end: date) -> EvidenceReport:
    """One row per active unit the user may see, for the days `start` to `end` (inclusive)."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end, time.max, tzinfo=tz)
    days = (end - start).days + 1
    units = list(register_selectors.units_in_scope(user))
    reviews = review_selectors.reviews_by_unit(since, until)
    surveys = survey_selectors.invitations_by_unit(since, until)
    people = register_selectors.active_people_by_unit()
    # Complaints filed in the period; "closed" and "escalated" as they stand now.
    complaints = complaint_selectors.filed_by_unit(since, until + timedelta(microseconds=1))
    sla = catalogue_selectors.sla_periods_by_unit(start, end)
    report = EvidenceReport(start, end)
    for unit in units:
        r, s, c, m = (
            reviews.get(unit.pk, {}),
            surveys.get(unit.pk, {}),
            complaints.get(unit.pk, {}),
            sla.get(unit.pk, {}),
        )
        invited, answered = s.get("invited", 0), s.get("answered", 0)
        report.rows.append(
            [
                unit.name,
                max(1, round(days / unit.review_cadence_days)),
                r.get("planned", 0),
                r.get("held", 0),
                invited,
                answered,
                _pct(answered, invited),
                _pct(s.get("people", 0), people.get(unit.pk, 0)),
                c.get("recorded", 0),
                c.get("closed", 0),
                c.get("escalated", 0),
                m.get("periods", 0),
                m.get("met", 0),
                _pct(m.get("met", 0), m.get("periods", 0)),
                m.get("over", 0),
            ]
        )
    return report
