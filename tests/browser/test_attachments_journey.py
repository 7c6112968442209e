"""Real-browser journey for attachments: a complainant adds evidence to their complaint through
htmx, a disguised file is refused in place, and the file downloads under its own name."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage
from playwright.sync_api import expect

from brm.core import delivery
from brm.core.attachments.models import Attachment
from brm.core.roles import Role
from complaints import services
from tests.attachments.conftest import HTML, PDF
from tests.factories import BusinessUnitFactory, StakeholderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def quiet(monkeypatch, tmp_path):
    # No worker here: queued emails are sent in the server thread; files go to this test's folder.
    monkeypatch.setattr(delivery.deliver_email, "delay", lambda pk: delivery.deliver(pk))
    storage = FileSystemStorage(location=tmp_path / "attachments")
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storage)


def test_it_lets_a_complainant_attach_evidence(page, live_server, login):
    brm = UserFactory.create(username="bianca", role=Role.BRM)
    unit = BusinessUnitFactory.create(name="Finance", code="fin", brm=brm)
    leader = UserFactory.create(username="laura", role=Role.LEADER)
    StakeholderFactory.create(unit=unit, user=leader, name="Laura Finch")
    complaint = services.file_complaint(
        services.ComplaintInput(
            unit=unit, title="VPN drops", description="Every hour.", severity="high"
        ),
        actor=leader,
    )
    login(page, "laura")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    panel = page.locator("#attachments")
    expect(panel).to_contain_text("No files yet")

    page.get_by_label("Add a file").set_input_files(
        {"name": "screenshot.png", "mimeType": "image/png", "buffer": HTML}
    )
    panel.get_by_role("button", name="Upload").click()
    expect(page.locator("#id_file_error")).to_contain_text("disguised")
    assert not Attachment.objects.exists()

    page.get_by_label("Add a file").set_input_files(
        {"name": "VPN log.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("#attachments").get_by_role("button", name="Upload").click()
    expect(page.locator("#attachments")).to_contain_text("“VPN log.pdf” added.")
    expect(page.locator("#attachments-count")).to_have_text("1")

    with page.expect_download() as download:
        page.get_by_role("link", name="VPN log.pdf").click()
    assert download.value.suggested_filename == "VPN log.pdf"
    assert Attachment.objects.get().uploaded_by == leader
