"""Which addresses of the register still belong to somebody who can act, for the kernel's one
recipient filter (``settings.DELIVERY_ADDRESS_CHECKS``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.functions import Lower

from stakeholders.models import Stakeholder


def address_activity(addresses: Iterable[str]) -> dict[str, bool]:
    """{lower-cased address: True if any stakeholder with it is active} for the addresses the
    register knows; addresses it does not know are left out (no opinion)."""
    wanted = {a.lower() for a in addresses if a}
    out: dict[str, bool] = {}
    rows = (
        Stakeholder.objects.annotate(address=Lower("email"))
        .filter(address__in=wanted)
        .values_list("address", "active")
    )
    for address, active in rows:
        out[address] = out.get(address, False) or bool(active)
    return out
