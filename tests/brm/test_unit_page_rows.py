"""The unit page's row tags (brm/health/templatetags/unit_page_rows.py) write what the template
loops they replace wrote, byte for byte: every kind of timeline entry, the key people and the open
promises, in English and Spanish, with and without the analysis and the right to edit (issue 14).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template import Context, Template
from django.utils import timezone, translation

from brm.core.attachments.models import Attachment
from brm.health.unit_page import unit_timeline
from complaints.models import Complaint, Feedback
from reviews.models import ReviewStatus
from stakeholders import selectors
from stakeholders.models import ActionStatus, Handover, Interaction, OwnerSide
from tests.factories import (
    ActionItemFactory,
    ComplaintFactory,
    FeedbackFactory,
    InteractionFactory,
    ServiceFactory,
    ServiceReviewFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db

# The loops as templates/stakeholders/unit_detail.html had them.
TIMELINE_LOOP = Template(
    """{% load i18n brm %}        {% for entry in entries %}
        <li class="timeline-item timeline-{{ entry.kind }} card mb-2">
          <div class="card-body py-2">
          {% if entry.kind == "interaction" %}{% with i=entry.obj %}
            <div class="d-flex justify-content-between flex-wrap gap-1">
              <div><i class="bi bi-chat-dots" aria-hidden="true"></i> <strong>{{ i.get_kind_display }}</strong>: {{ i.summary }}</div>
              {% if sees_analysis %}<span class="badge sentiment sentiment-{{ i.sentiment }}" title="{% translate 'Sentiment' %}">{{ i.get_sentiment_display }} ({% if i.sentiment > 0 %}+{% endif %}{{ i.sentiment }})</span>{% endif %}
            </div>
            <div class="small text-body-secondary"><time datetime="{{ i.occurred_at|date:'c' }}">{{ i.occurred_at|date:"D j M Y, H:i" }}</time>
              {% if i.attendee_list %} {% translate "· with" %} {% for s in i.attendee_list %}{{ s.name }}{% if not forloop.last %}, {% endif %}{% endfor %}{% endif %}
              {% if i.it_participant_list %} {% translate "· IT:" %} {% for u in i.it_participant_list %}{{ u|person }}{% if not forloop.last %}, {% endif %}{% endfor %}{% endif %}
            </div>
            {% if i.notes %}<div class="small mt-1 private-note"><i class="bi bi-lock" aria-hidden="true"></i> <span class="visually-hidden">{% translate "Private note:" %}</span>{{ i.notes|linebreaksbr }}</div>{% endif %}
            {% if i.file_count or can_edit %}<div class="small mt-1 meeting-files"><a class="text-body-secondary" href="{% url 'stakeholders:interaction_attachments' i.pk %}"><i class="bi bi-paperclip" aria-hidden="true"></i> {% if i.file_count %}{% blocktranslate count n=i.file_count %}{{ n }} file{% plural %}{{ n }} files{% endblocktranslate %}{% else %}{% translate "Files" %}{% endif %}<span class="visually-hidden"> {% translate "of this meeting" %}</span></a></div>{% endif %}
            {% if i.promises_made %}
            <ul class="small mb-0 mt-1 ps-3">
              {% for a in i.promises_made %}<li>{% translate "Promise:" %} <a href="{{ a.get_absolute_url }}">{{ a.title }}</a> — {% blocktranslate trimmed with owner=a.owner_name due=a.due_date|date:"j M Y" %}{{ owner }}, due {{ due }}{% endblocktranslate %} {% status_badge a "outcome" %}</li>{% endfor %}
            </ul>
            {% endif %}
          {% endwith %}{% elif entry.kind == "commitment_done" %}{% with a=entry.obj %}
            <div><i class="bi bi-check2-circle text-success" aria-hidden="true"></i> {% translate "Promise kept" %}{% if a.done_late %} {% translate "(late)" %}{% endif %}: <a href="{{ a.get_absolute_url }}">{{ a.title }}</a></div>
            <div class="small text-body-secondary"><time datetime="{{ a.completed_at|date:'c' }}">{{ a.completed_at|date:"D j M Y, H:i" }}</time> · {% blocktranslate trimmed with owner=a.owner_name due=a.due_date|date:"j M Y" %}{{ owner }} · was due {{ due }}{% endblocktranslate %}</div>
          {% endwith %}{% elif entry.kind == "handover" %}{% with h=entry.obj %}
            <div><i class="bi bi-arrow-left-right" aria-hidden="true"></i> <strong>{% translate "Relationship handed over" %}</strong> {% translate "from" %} {% if h.from_brm %}{{ h.from_brm|person }}{% else %}{% translate "nobody" %}{% endif %} {% translate "to" %} {% if h.to_brm %}{{ h.to_brm|person }}{% else %}{% translate "nobody" %}{% endif %}</div>
            <div class="small text-body-secondary"><time datetime="{{ h.created_at|date:'c' }}">{{ h.created_at|date:"D j M Y, H:i" }}</time>{% if h.note %} · {{ h.note }}{% endif %}</div>
          {% endwith %}{% elif entry.kind == "review" %}{% with r=entry.obj %}
            <div><i class="bi bi-clipboard-data" aria-hidden="true"></i> <strong>{% translate "Service review held" %}</strong>: <a href="{{ r.get_absolute_url }}">{{ r.outcome|default:_("minutes and performance pack")|truncatechars:160 }}</a></div>
            <div class="small text-body-secondary"><time datetime="{{ r.held_at|date:'c' }}">{{ r.held_at|date:"D j M Y, H:i" }}</time> · {% blocktranslate count n=r.n_actions %}{{ n }} promise{% plural %}{{ n }} promises{% endblocktranslate %} {% translate "made" %}</div>
          {% endwith %}{% elif entry.kind == "complaint" %}{% with c=entry.obj %}
            <div><i class="bi bi-exclamation-triangle text-danger" aria-hidden="true"></i> <strong>{% translate "Complaint filed" %}</strong> ({{ c.get_severity_display|lower }}): <a href="{{ c.get_absolute_url }}">{{ c.title }}</a> <span class="badge text-bg-light border">{{ c.get_status_display }}</span></div>
            <div class="small text-body-secondary"><time datetime="{{ c.created_at|date:'c' }}">{{ c.created_at|date:"D j M Y, H:i" }}</time> · {{ c.reference }}{% if c.service %} · {{ c.service.name }}{% endif %}</div>
          {% endwith %}{% elif entry.kind == "compliment" %}{% with f=entry.obj %}
            <div><i class="bi bi-award text-success" aria-hidden="true"></i> {% blocktranslate trimmed with label=f.about_label %}<strong>Compliment</strong> for {{ label }}{% endblocktranslate %}: {{ f.message|truncatechars:300 }}</div>
            <div class="small text-body-secondary"><time datetime="{{ f.created_at|date:'c' }}">{{ f.created_at|date:"D j M Y, H:i" }}</time> {% blocktranslate trimmed with who=f.author|person:_("someone") %}· from {{ who }}{% endblocktranslate %}</div>
          {% endwith %}{% endif %}
          </div>
        </li>
        {% endfor %}
"""  # noqa: E501
)
PEOPLE_LOOP = Template(
    """{% load i18n brm %}{% for p in key_people %}<li class="list-group-item d-flex justify-content-between"><span>{% if is_it_side %}<a href="{{ p.get_absolute_url }}">{{ p.name }}</a>{% else %}{{ p.name }}{% endif %} <span class="small text-body-secondary">{{ p.job_title }}</span></span>{% if sees_analysis %}<span class="small text-body-secondary" title="{% translate 'Influence / interest' %}">{{ p.quadrant }}</span>{% endif %}</li>{% endfor %}"""  # noqa: E501
)
PROMISES_LOOP = Template(
    """{% load i18n brm %}{% for a in open_commitments %}<li class="list-group-item {% if a.is_overdue %}list-group-item-danger{% endif %}"><a href="{{ a.get_absolute_url }}">{{ a.title }}</a><div class="text-body-secondary">{{ a.get_owner_side_display }} · {% blocktranslate trimmed with owner=a.owner_name due=a.due_date|date:"j M Y" %}{{ owner }} · due {{ due }}{% endblocktranslate %}{% if a.is_overdue %} · <strong>{% blocktranslate count n=a.days_overdue %}{{ n }} day{% plural %}{{ n }} days{% endblocktranslate %} {% translate "overdue" %}</strong>{% endif %}</div></li>{% endfor %}"""  # noqa: E501
)
TIMELINE_TAG = Template("{% load unit_page_rows %}        {% timeline_rows entries %}\n")
PEOPLE_TAG = Template("{% load unit_page_rows %}{% key_people_rows key_people %}")
PROMISES_TAG = Template("{% load unit_page_rows %}{% open_promise_rows open_commitments %}")


def _history(unit, brm, other_brm) -> None:
    """Every kind of entry, in the variants the template branched on."""
    now = timezone.now()
    people = [
        StakeholderFactory.create(unit=unit, name=f"Ana <{n}> & co", influence=n, interest=6 - n)
        for n in range(1, 6)
    ]
    for n, (notes, sentiment) in enumerate(
        [("Line one\nline <two> & three", 2), ("", -1), ("", 0)]
    ):
        meeting = InteractionFactory.create(
            unit=unit,
            occurred_at=now - timedelta(hours=1 + n),
            summary=f"Quarterly <b>catch-up</b> {n}",
            notes=notes,
            sentiment=sentiment,
        )
        if n == 0:
            meeting.attendees.add(*people[:2])
            meeting.it_participants.add(brm, other_brm)
            ActionItemFactory.create(unit=unit, owner=brm, interaction=meeting, title="Fix <it>")
            ActionItemFactory.create(
                unit=unit,
                owner_side=OwnerSide.BUSINESS,
                owner=None,
                owner_stakeholder=people[0],
                interaction=meeting,
                due_date=date.today() - timedelta(days=3),
            )
        if n < 2:
            for _ in range(n + 1):
                Attachment.objects.create(
                    record_type=ContentType.objects.get_for_model(Interaction),
                    record_id=meeting.pk,
                    file="x.txt",
                    filename="x.txt",
                    content_type="text/plain",
                    size=1,
                )
    service = ServiceFactory.create(name=f"Payroll & HR {people[0].pk}")
    for n, svc in enumerate([service, None]):
        complaint = ComplaintFactory.create(unit=unit, service=svc, title=f"Late <report> {n}")
        Complaint.objects.filter(pk=complaint.pk).update(created_at=now - timedelta(hours=5 + n))
    for n, (author, about) in enumerate([(brm, None), (None, other_brm)]):
        compliment = FeedbackFactory.create(
            unit=unit, author=author, about_person=about, message="Great <work> " * 40
        )
        Feedback.objects.filter(pk=compliment.pk).update(created_at=now - timedelta(hours=7 + n))
    for n, outcome in enumerate(["", "Agreed <next> steps " * 20]):
        at = now - timedelta(hours=9 + n)
        ServiceReviewFactory.create(
            unit=unit, status=ReviewStatus.HELD, scheduled_at=at, held_at=at, outcome=outcome
        )
    for n in range(2):
        at = now - timedelta(hours=11 + n)
        ActionItemFactory.create(
            unit=unit,
            status=ActionStatus.DONE,
            completed_at=at,
            due_date=timezone.localdate(at) - timedelta(days=n),
        )
    for n, (was, note) in enumerate([(other_brm, "Moved <team> & all"), (None, "")]):
        handover = Handover.objects.create(unit=unit, from_brm=was, to_brm=brm, note=note)
        Handover.objects.filter(pk=handover.pk).update(created_at=now - timedelta(hours=13 + n))
    ActionItemFactory.create(unit=unit, owner=brm, title="Open <one>", due_date=date.today())


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("sees_analysis", [True, False])
@pytest.mark.parametrize("can_edit", [True, False])
@pytest.mark.parametrize("is_it_side", [True, False])
def test_it_writes_what_the_loops_wrote(
    unit_a, brm, other_brm, language, sees_analysis, can_edit, is_it_side
):
    _history(unit_a, brm, other_brm)
    entries, _ = unit_timeline(unit_a, brm, limit=30)
    assert {e.kind for e in entries} == {
        "interaction",
        "commitment_done",
        "handover",
        "review",
        "complaint",
        "compliment",
    }
    context = {
        "entries": entries,
        "key_people": selectors.key_people(unit_a),
        "open_commitments": selectors.open_promises(brm, unit_a),
        "sees_analysis": sees_analysis,
        "can_edit": can_edit,
        "is_it_side": is_it_side,
    }
    assert len(context["open_commitments"]) == 3
    with translation.override(language):
        for loop, tag in [
            (TIMELINE_LOOP, TIMELINE_TAG),
            (PEOPLE_LOOP, PEOPLE_TAG),
            (PROMISES_LOOP, PROMISES_TAG),
        ]:
            assert tag.render(Context(context)) == loop.render(Context(context))
