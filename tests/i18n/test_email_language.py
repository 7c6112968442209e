"""Emails are written in their reader's language (issue 17): the language their account chose,
else the site's when readers differ or have no account."""

from __future__ import annotations

import pytest

from brm.core import delivery
from brm.core.i18n import language_for
from brm.core.models import OutboundEmail, UserPreference
from complaints import services
from complaints.models import ComplaintNotification
from tests.factories import UserFactory


def _speaks(user, language):
    pref = UserPreference.for_user(user)
    pref.language = language
    pref.save()


@pytest.mark.django_db
def test_it_writes_in_the_language_every_reader_chose():
    ana, bea = UserFactory.create(email="Ana@example.org"), UserFactory.create(email="bea@x.org")
    _speaks(ana, "es")
    _speaks(bea, "es")
    assert language_for(["ana@example.org", "BEA@x.org"]) == "es"


@pytest.mark.django_db
def test_it_writes_in_the_sites_language_when_readers_differ_or_are_unknown(settings):
    ana = UserFactory.create(email="ana@example.org")
    UserFactory.create(email="bea@x.org")  # no choice: the site's language
    _speaks(ana, "es")
    assert language_for(["ana@example.org", "bea@x.org"]) == settings.LANGUAGE_CODE
    assert language_for(["ana@example.org", "stranger@example.org"]) == settings.LANGUAGE_CODE
    assert language_for([]) == settings.LANGUAGE_CODE
    assert language_for(["ana@example.org"]) == "es"


@pytest.mark.django_db
def test_a_complainant_who_chose_spanish_is_acknowledged_in_spanish(leader, unit_a, mailoutbox):
    _speaks(leader, "es")
    data = services.ComplaintInput(
        unit=unit_a, title="Informes tarde", description="Tercer mes seguido.", severity="medium"
    )
    complaint = services.file_complaint(data, actor=leader)
    note = ComplaintNotification.objects.get(complaint=complaint, kind="acknowledgement")
    email = OutboundEmail.objects.get(key=f"complaints.notification:{note.pk}")
    assert delivery.deliver_email(email.pk) is True
    [message] = mailoutbox
    assert message.subject == f"Hemos recibido tu reclamación {complaint.reference}"
    assert "Gracias por contárnoslo" in message.body
    assert "Thank you for telling us" not in message.body
