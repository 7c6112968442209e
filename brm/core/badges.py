"""One mapping from every status-like value shown as a badge to its tone (issue 15).

A badge's colours come from its *tone* (`.tone-<name>` in static/css/app.css, each pair of
background and text colours at least 4.5:1, checked by tests/core/test_badges.py), never from a
per-model CSS class that a new status can miss: a value with no entry here would render
white-on-transparent, so the test also checks that every choice of every field listed has a
tone. Keys are "<app_label>.<model>.<field>" (lower case), values map a stored value to a tone.

The kernel names no business class here, only strings, so it imports no business app.
"""

from __future__ import annotations

from typing import Final

# name -> what it says; the colours live in app.css under `.tone-<name>`.
TONES: Final = {
    "neutral": "nothing to do yet or no data",
    "info": "planned, waiting, in an early step",
    "progress": "being worked on",
    "attention": "needs someone to act soon",
    "success": "done, met, live",
    "success-soft": "accepted, positive, on the way to done",
    "danger": "late, missed, critical",
    "danger-soft": "negative, but not urgent",
    "muted": "ended without result: cancelled, dropped, withdrawn, retired",
}

STATUS_TONES: Final[dict[str, dict[str, str]]] = {
    "portfolio.demand.status": {
        "idea": "neutral",
        "assessing": "info",
        "approved": "success-soft",
        "in_delivery": "progress",
        "delivered": "success",
        "benefits_realised": "success",
        "rejected": "danger-soft",
        "withdrawn": "muted",
    },
    "portfolio.service.lifecycle": {
        "pipeline": "progress",
        "live": "success-soft",
        "retired": "muted",
    },
    "reviews.servicereview.status": {
        "planned": "info",
        "held": "success",
        "cancelled": "muted",
    },
    "reviews.changerequest.status": {
        "raised": "info",
        "accepted": "success-soft",
        "rejected": "muted",
        "implemented": "success",
    },
    "complaints.complaint.status": {
        "received": "attention",
        "acknowledged": "info",
        "investigating": "progress",
        "resolved": "success-soft",
        "closed": "success",
        "withdrawn": "muted",
    },
    "complaints.complaint.severity": {
        "low": "neutral",
        "medium": "info",
        "high": "attention",
        "critical": "danger",
    },
    "satisfaction.campaign.status": {
        "draft": "neutral",
        "scheduled": "info",
        "open": "success",
        "closed": "muted",
    },
    "stakeholders.actionitem.outcome": {
        "open": "info",
        "overdue": "danger",
        "on_time": "success",
        "late": "attention",
        "dropped": "muted",
    },
}


def tone_of(key: str, value: object) -> str:
    """The tone of `value` of the field `key` ("app.model.field"); "neutral" for an unknown one.

    The fallback keeps an unforeseen value readable (dark on grey); tests make sure no known
    value needs it."""
    return STATUS_TONES.get(key, {}).get(str(value), "neutral")
