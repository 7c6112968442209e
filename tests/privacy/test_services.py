"""Export and erasure of one person (GDPR arts. 15 and 17), through the services."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brm.core.attachments.models import Attachment
from brm.core.errors import ForbiddenAction
from brm.core.models import AuditEvent, Notification, OutboundEmail
from brm.imports.models import ImportJob
from brm.privacy.services import NotFound, erase_person, export_person
from brm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from complaints.models import Complaint
from satisfaction.models import Answer, Response
from stakeholders.models import Interaction, Stakeholder
from tests.factories import InteractionFactory, StakeholderFactory
from tests.privacy.conftest import EMAIL, NAME, OLD_EMAIL, STRINGS
from tests.privacy.db_search import find

pytestmark = pytest.mark.django_db

History = Stakeholder.history.model


def test_it_finds_the_deleted_stakeholders_email_in_three_history_rows_until_erased(
    unit_a, admin_user
) -> None:
    person = StakeholderFactory.create(unit=unit_a, name="Dora Deleted", email="dora@gone.example")
    person.phone = "+34 600 000 001"
    person.save()
    pk = person.pk
    person.delete()
    assert History.objects.filter(id=pk, email="dora@gone.example").count() == 3
    assert find(["dora@gone.example"]) == {"stakeholders_historicalstakeholder": 3}

    result = erase_person("stakeholder", pk, actor=admin_user)

    assert result["counts"]["register"]["stakeholder_history"] == 3
    assert find(["dora@gone.example", "Dora Deleted", "+34 600 000 001"]) == {}
    assert set(History.objects.filter(id=pk).values_list("name", flat=True)) == {"(erased)"}


def test_it_exports_each_part(zelda, admin_user) -> None:
    data = export_person("stakeholder", zelda.stakeholder.pk, actor=admin_user)
    parts = data["parts"]
    assert (data["user_id"], data["stakeholder_id"]) == (zelda.user.pk, zelda.stakeholder.pk)
    assert [r["name"] for r in parts["register"]["stakeholder"]] == [NAME]
    assert [r["email"] for r in parts["register"]["stakeholder_history"]] == [OLD_EMAIL, EMAIL]
    assert [m["id"] for m in parts["register"]["meetings"]] == [zelda.meeting.pk]
    assert [r["id"] for r in parts["reviews"]["reviews"]] == [zelda.review.pk]
    assert [n["recipient"] for n in parts["reviews"]["review_notices"]] == [EMAIL]
    assert [c["id"] for c in parts["complaints"]["complaints"]] == [zelda.complaint.pk]
    assert len(parts["complaints"]["complaint_comments"]) == 1
    assert [f["id"] for f in parts["complaints"]["feedback"]] == [zelda.feedback.pk]
    assert len(parts["complaints"]["complaint_notifications"]) == 1
    assert [d["id"] for d in parts["demands"]["demands"]] == [zelda.demand.pk]
    assert len(parts["health"]["improvement_plans"]) == 1
    assert [a["recipients"] for a in parts["demands"]["attestations"]] == [EMAIL]
    assert len(parts["surveys"]["survey_invitations"]) == 2
    texts = [a["text"] for a in parts["surveys"]["survey_answers"] if a["text"]]
    assert texts == ["Named answer: payroll reports are slow."]  # never the anonymous one
    account = parts["account"]
    assert [a["email"] for a in account["account"]] == [EMAIL]
    assert account["groups"] == [{"group__name": "Business leader"}]
    assert [t["name"] for t in account["api_tokens"]] == ["Zelda Quixote's laptop"]
    assert "secret_hash" not in account["api_tokens"][0]
    assert len(account["outbox"]) == 2
    assert [n["subject"] for n in account["inbox"]] == ["Review moved"]
    assert [a["filename"] for a in account["attachments"]] == [f"{NAME} evidence.pdf"]
    assert len(account["daily_summary_queue"]) == 1
    assert [o["email"] for o in account["opt_outs"]] == [OLD_EMAIL]
    assert [p["time_zone"] for p in account["preferences"]] == ["Europe/Madrid"]


def test_it_records_each_export_and_shows_earlier_ones(zelda, admin_user) -> None:
    export_person("stakeholder", zelda.stakeholder.pk, actor=admin_user)
    data = export_person("user", zelda.user.pk, actor=admin_user)
    events = data["parts"]["account"]["audit_events"]
    assert [(e["action"], e["subject_type"]) for e in events] == [("privacy.export", "stakeholder")]
    assert AuditEvent.objects.filter(action="privacy.export", actor=admin_user).count() == 2


def test_erase_leaves_no_personal_string_anywhere(zelda, admin_user) -> None:
    assert len(find(STRINGS)) > 10  # the search sees her in many tables before
    erase_person("stakeholder", zelda.stakeholder.pk, actor=admin_user)
    assert find(STRINGS) == {}
    assert find(["Colin Other", "colin@ex.org"])  # other people are untouched


def test_erase_keeps_meetings_and_complaints_with_the_person_shown_as_erased(
    zelda, admin_user
) -> None:
    erase_person("stakeholder", zelda.stakeholder.pk, actor=admin_user)
    meeting = Interaction.objects.get(pk=zelda.meeting.pk)
    assert sorted(str(a) for a in meeting.attendees.all()) == ["(erased)", "Colin Other"]
    assert meeting.notes == "[erased] is unhappy; call [erased]."
    complaint = Complaint.objects.select_related("complainant").get(pk=zelda.complaint.pk)
    assert complaint.complainant_id == zelda.user.pk
    assert complaint.complainant.username == f"erased-{zelda.user.pk}"
    assert not complaint.complainant.is_active
    person = Stakeholder.objects.get(pk=zelda.stakeholder.pk)
    assert (person.name, person.email, person.phone, person.active) == ("(erased)", "", "", False)
    assert person.version == 3  # an open edit form of the old record can no longer save


def test_erase_empties_their_inbox_and_keeps_their_attachments_unnamed(zelda, admin_user) -> None:
    erase_person("user", zelda.user.pk, actor=admin_user)
    assert list(Notification.objects.values_list("user", "subject")) == [
        (zelda.complaint.unit.brm_id, "[erased] will attend")
    ]
    assert list(Attachment.objects.values_list("filename", "uploaded_by")) == [
        ("[erased] evidence.pdf", zelda.user.pk)
    ]


def test_erase_keeps_survey_answers_only_where_anonymous(zelda, admin_user) -> None:
    result = erase_person("stakeholder", zelda.stakeholder.pk, actor=admin_user)
    assert result["counts"]["surveys"]["survey_responses"] == 1
    assert list(Response.objects.values_list("pk", flat=True)) == [zelda.anonymous_response.pk]
    assert Answer.objects.filter(text="Anonymous answer: more training.").exists()


def test_erase_stops_unsent_email_to_them(zelda, admin_user) -> None:
    erase_person("user", zelda.user.pk, actor=admin_user)
    states = dict(OutboundEmail.objects.values_list("message_id", "state"))
    assert states == {"<zq-1@brm>": "sent", "<zq-2@brm>": "skipped"}


def test_erase_twice_changes_nothing_the_second_time(zelda, admin_user) -> None:
    first = erase_person("stakeholder", zelda.stakeholder.pk, actor=admin_user)
    second = erase_person("stakeholder", zelda.stakeholder.pk, actor=admin_user)
    assert sum(sum(part.values()) for part in first["counts"].values()) > 0
    assert all(n == 0 for part in second["counts"].values() for n in part.values())
    assert AuditEvent.objects.filter(action="privacy.erase").count() == 2


def test_erasing_the_login_erases_the_register_entry_too(zelda, admin_user) -> None:
    erase_person("user", zelda.user.pk, actor=admin_user)
    assert find(STRINGS) == {}
    event = AuditEvent.objects.get(action="privacy.erase")
    assert (event.subject_type, event.subject_id, event.actor_id) == (
        "user",
        zelda.user.pk,
        admin_user.pk,
    )
    assert event.details["stakeholder_id"] == zelda.stakeholder.pk


@pytest.mark.parametrize("persona", ["brm", "executive", "integration", "leader", "no_role_user"])
def test_only_administrators_export_or_erase(request, zelda, persona) -> None:
    actor = request.getfixturevalue(persona)
    with pytest.raises(ForbiddenAction):
        export_person("stakeholder", zelda.stakeholder.pk, actor=actor)
    with pytest.raises(ForbiddenAction):
        erase_person("stakeholder", zelda.stakeholder.pk, actor=actor)
    assert Stakeholder.objects.get(pk=zelda.stakeholder.pk).name == NAME
    assert not AuditEvent.objects.exists()


def test_an_administrator_cannot_erase_themselves(admin_user) -> None:
    with pytest.raises(ForbiddenAction):
        erase_person("user", admin_user.pk, actor=admin_user)


def test_an_unknown_person_is_not_found(admin_user) -> None:
    with pytest.raises(NotFound):
        export_person("stakeholder", 999999, actor=admin_user)
    with pytest.raises(NotFound):
        erase_person("user", 999999, actor=admin_user)


@pytest.mark.skipif(
    not (apps.is_installed("allauth.socialaccount") and apps.is_installed("axes")),
    reason="the sign-in libraries are not installed",
)
def test_it_exports_and_erases_sign_in_records(zelda, admin_user) -> None:
    user = zelda.user
    apps.get_model("account", "EmailAddress").objects.create(user=user, email=EMAIL, primary=True)
    apps.get_model("socialaccount", "SocialAccount").objects.create(
        user=user, provider="openid_connect", uid="zq-subject", extra_data={"name": NAME}
    )
    apps.get_model("axes", "AccessAttempt").objects.create(
        username=EMAIL,
        ip_address="192.0.2.7",
        user_agent="Firefox",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=2,
    )
    part = export_person("user", user.pk, actor=admin_user)["parts"]["sign_in"]
    assert [e["email"] for e in part["email_addresses"]] == [EMAIL]
    assert [s["uid"] for s in part["single_sign_on"]] == ["zq-subject"]
    assert [a["ip_address"] for a in part["sign_in_attempts"]] == ["192.0.2.7"]

    counts = erase_person("user", user.pk, actor=admin_user)["counts"]["sign_in"]
    assert (counts["email_addresses"], counts["single_sign_on"], counts["sign_in_attempts"]) == (
        1,
        1,
        1,
    )
    assert find(STRINGS) == {}


def test_the_export_costs_the_same_queries_however_much_is_held(zelda, admin_user) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export_person("stakeholder", zelda.stakeholder.pk, actor=admin_user)
        return len(captured)

    few = queries()
    for n in range(10):
        meeting = InteractionFactory.create(unit=zelda.stakeholder.unit, notes=f"Note {n}")
        meeting.attendees.add(zelda.stakeholder)
    # One query per section, plus finding the person and writing the audit event.
    assert queries() == few <= 50


def test_it_finds_and_erases_webhook_bodies_and_import_files(zelda, admin_user) -> None:
    subscription = WebhookSubscription.objects.create(
        url="https://hooks.example.com/in", secret="s", event_types=["stakeholder.created"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event_type="stakeholder.created",
        payload={"type": "stakeholder.created", "data": {"name": NAME, "email": EMAIL}},
    )
    WebhookAttempt.objects.create(
        delivery=delivery, number=1, started_at=delivery.created_at, error=f"refused {EMAIL}"
    )
    other = WebhookDelivery.objects.create(
        subscription=subscription, event_type="unit.created", payload={"data": {"name": "Ops"}}
    )
    job = ImportJob.objects.create(
        kind="stakeholders",
        filename="people.csv",
        data=f"Email;Name;Unit\n{EMAIL};{NAME};fin\n".encode(),
        status="done",
        result={"errors": [], "new": 1},
        created_by=admin_user,
    )
    parts = export_person("stakeholder", zelda.stakeholder.pk, actor=admin_user)["parts"]
    assert [d["subscription__url"] for d in parts["webhooks"]["webhook_deliveries"]] == [
        "https://hooks.example.com/in"
    ]
    assert [j["id"] for j in parts["imports"]["import_jobs"]] == [job.pk]

    counts = erase_person("stakeholder", zelda.stakeholder.pk, actor=admin_user)["counts"]
    assert counts["webhooks"] == {"webhook_deliveries": 1, "webhook_attempts": 1}
    assert counts["imports"] == {"import_files": 1}
    assert find(STRINGS) == {}
    job.refresh_from_db()
    assert (bytes(job.data), job.file_deleted_at is not None) == (b"", True)
    assert WebhookDelivery.objects.get(pk=other.pk).payload == {"data": {"name": "Ops"}}
