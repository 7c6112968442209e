"""One person known everywhere the product keeps people's data: Zelda Quixote, a business
leader in unit A with a login and a register entry, who attended meetings and a review, filed
a complaint, wrote feedback, answered a named and an anonymous survey, sponsors a demand, and
was sent emails. Her strings are distinctive so a search of the database finds only her."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from brm.core.attachments.models import Attachment
from brm.core.models import (
    AddressOptOut,
    ApiToken,
    DeferredEmail,
    Notification,
    OutboundEmail,
    UserPreference,
)
from brm.core.roles import Role
from brm.health.models import ImprovementPlan
from complaints.models import Complaint, ComplaintEvent, ComplaintNotification, Feedback
from portfolio.models import BenefitAttestation, Demand
from reviews.models import ReviewNotice, ServiceReview
from satisfaction.models import Answer, Campaign, Invitation, Question, Response, new_token
from stakeholders.models import Interaction, Stakeholder
from tests.factories import (
    ComplaintFactory,
    DemandFactory,
    InteractionFactory,
    ServiceReviewFactory,
    StakeholderFactory,
    SurveyTemplateFactory,
    UserFactory,
)

NAME = "Zelda Quixote"
EMAIL = "zelda.quixote@example.org"
OLD_EMAIL = "zq.payroll@example.org"
PHONE = "+44 7700 900123"
USERNAME = "zquixote"
HR_ID = "HR-ZQ-991"
# A first name alone is not searched for in free text (it would hit namesakes), so the data
# below mentions her by full name, address or phone.
STRINGS = (NAME, EMAIL, OLD_EMAIL, PHONE, USERNAME, HR_ID)


@dataclass
class Zelda:
    user: object
    stakeholder: Stakeholder
    meeting: Interaction
    other_meeting: Interaction
    review: ServiceReview
    complaint: Complaint
    feedback: Feedback
    named_campaign: Campaign
    anonymous_response: Response
    demand: Demand


def _answer(campaign: Campaign, unit, text: str, invitation=None) -> Response:
    response = Response.objects.create(
        campaign=campaign, unit=unit, invitation=invitation, submitted_at=timezone.now()
    )
    question = Question.objects.get(template=campaign.template_id, kind="free_text")
    Answer.objects.create(response=response, question=question, text=text)
    score_question = Question.objects.get(template=campaign.template_id, kind="csat")
    Answer.objects.create(response=response, question=score_question, score=4)
    return response


@pytest.fixture
def zelda(unit_a, brm, admin_user) -> Zelda:
    user = UserFactory.create(
        username=USERNAME, first_name="Zelda", last_name="Quixote", email=EMAIL, role=Role.LEADER
    )
    person = StakeholderFactory.create(
        unit=unit_a,
        user=user,
        name=NAME,
        email=OLD_EMAIL,
        phone=PHONE,
        job_title="Head of Payroll",
        external_id=HR_ID,
    )
    person.email = EMAIL  # a second history row, and an old address only history remembers
    person.save()
    colleague = StakeholderFactory.create(unit=unit_a, name="Colin Other", email="colin@ex.org")

    meeting = InteractionFactory.create(
        unit=unit_a,
        summary=f"Payroll catch-up with {NAME}",
        notes=f"Zelda Quixote is unhappy; call {PHONE}.",
    )
    meeting.attendees.set([person, colleague])
    other_meeting = InteractionFactory.create(unit=unit_a, summary="Budget", notes="Colin only.")
    other_meeting.attendees.set([colleague])

    review = ServiceReviewFactory.create(unit=unit_a, minutes=f"{NAME} asked for a new report.")
    review.attendees.set([person])
    ReviewNotice.objects.create(review=review, recipient=EMAIL, kind="reminder")

    complaint = ComplaintFactory.create(
        unit=unit_a, complainant=user, description=f"Reach me on {PHONE} or {EMAIL}."
    )
    ComplaintEvent.objects.create(
        complaint=complaint, kind="comment", actor=user, comment=f"Any news? {NAME}"
    )
    ComplaintNotification.objects.create(
        complaint=complaint, kind="acknowledgement", recipients=f"{EMAIL}, brm@example.org"
    )
    feedback = Feedback.objects.create(
        author=user, unit=unit_a, about_team="Service desk", message=f"Thanks from {NAME}!"
    )

    template = SurveyTemplateFactory.create()
    named = Campaign.objects.create(template=template, name="Named survey", owner=brm)
    anonymous = Campaign.objects.create(
        template=template, name="Anonymous survey", owner=brm, anonymous=True
    )
    now = timezone.now()
    invitation = Invitation.objects.create(
        campaign=named,
        stakeholder=person,
        token_hash=new_token()[1],
        sent_at=now,
        expires_at=now + timedelta(days=21),
    )
    Invitation.objects.create(
        campaign=anonymous,
        stakeholder=person,
        token_hash=new_token()[1],
        sent_at=now,
        answered_at=now,
        expires_at=now + timedelta(days=21),
    )
    _answer(named, unit_a, "Named answer: payroll reports are slow.", invitation)
    anonymous_response = _answer(anonymous, unit_a, "Anonymous answer: more training.")

    demand = DemandFactory.create(unit=unit_a, sponsor=person, problem=f"{NAME}'s team waits.")
    BenefitAttestation.objects.create(demand=demand, due_on=now.date(), round=1, recipients=EMAIL)

    OutboundEmail.objects.create(
        kind="reviews.update",
        ref=review.pk,
        key=f"reviews.update:{review.pk}:1:{EMAIL}",
        to=EMAIL,
        message_id="<zq-1@brm>",
        state="sent",
        recipients=EMAIL,
    )
    OutboundEmail.objects.create(
        kind="complaints.notification",
        ref=1,
        key="complaints.notification:1",
        to=EMAIL,
        message_id="<zq-2@brm>",
    )
    DeferredEmail.objects.create(email=EMAIL, kind="reviews.notice", subject="Hi Zelda", body="x")
    shown = OutboundEmail.objects.get(message_id="<zq-1@brm>")
    Notification.objects.create(
        user=user, email=shown, kind="reviews.update", subject="Review moved", body="Hello."
    )
    Notification.objects.create(
        user=brm, email=shown, kind="reviews.update", subject=f"{NAME} will attend", body=""
    )
    Attachment.objects.create(
        record_type=ContentType.objects.get_for_model(Complaint),
        record_id=complaint.pk,
        file="attachments/zq-evidence",
        filename=f"{NAME} evidence.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=user,
    )
    AddressOptOut.objects.create(email=OLD_EMAIL, kind="*")
    ApiToken.issue(user, "Zelda Quixote's laptop")
    UserPreference.objects.create(user=user, time_zone="Europe/Madrid")
    LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(Stakeholder),
        object_id=str(person.pk),
        object_repr=NAME,
        action_flag=CHANGE,
        change_message="[]",
    )
    unit_a.description = f"Payroll sits here; its lead is {NAME}."
    unit_a.save()  # a history row of the unit names her too
    ImprovementPlan.objects.create(unit=unit_a, reason=f"{NAME} is losing trust in IT.")
    return Zelda(
        user=user,
        stakeholder=person,
        meeting=meeting,
        other_meeting=other_meeting,
        review=review,
        complaint=complaint,
        feedback=feedback,
        named_campaign=named,
        anonymous_response=anonymous_response,
        demand=demand,
    )
