from __future__ import annotations

import pytest

from stakeholders.models import Handover
from tests.factories import ActionItemFactory, InteractionFactory, StakeholderFactory

PERSONAS = [
    "admin_user",
    "brm",
    "other_brm",
    "executive",
    "integration",
    "no_role_user",
    "leader",
    "leader_b",
    None,
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_survey(client, request, brm, unit_a, unit_b, persona):
    s = StakeholderFactory(unit=unit_a, name="Sam Person")
    it = InteractionFactory(unit=unit_a, notes="secret note")
    it.attendees.add(s)
    a = ActionItemFactory(unit=unit_a, owner=brm, interaction=it)
    Handover.objects.create(unit=unit_a, from_brm=None, to_brm=brm)
    if persona:
        user = request.getfixturevalue(persona)
        client.force_login(user)
    urls = [
        "/",
        "/units/",
        f"/units/{unit_a.pk}/",
        f"/units/{unit_a.pk}/timeline/",
        f"/units/{unit_a.pk}/meetings/new/",
        f"/units/{unit_a.pk}/handover/",
        "/stakeholders/",
        "/stakeholders/export.csv",
        "/stakeholders/map/",
        "/stakeholders/new/",
        f"/stakeholders/{s.pk}/",
        f"/stakeholders/{s.pk}/edit/",
        "/commitments/",
        "/commitments/export.csv",
        f"/commitments/{a.pk}/",
    ]
    out = []
    for url in urls:
        r = client.get(url)
        out.append((url, r.status_code, r.get("Location", "")))
        r = client.get(url, HTTP_HX_REQUEST="true")
        out.append(("  hx", r.status_code))
    print("\n", persona)
    for o in out:
        print("  ", o)
