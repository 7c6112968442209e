"""The Django admin keeps the questionnaire bound the API and services keep (#12): a survey has
at most `MAX_QUESTIONS` questions, so an administrator posting more is refused, saving none."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from satisfaction.models import Question, QuestionKind
from satisfaction.services import MAX_QUESTIONS
from tests.factories import SurveyTemplateFactory
from tests.versions import edit_form

pytestmark = pytest.mark.django_db


def _post_with_questions(client: Client, template: Any, count: int) -> Any:
    url = f"/admin/satisfaction/surveytemplate/{template.pk}/change/"
    data = edit_form(client.get(url).content.decode())
    prefix = next(k for k in data if k.endswith("-TOTAL_FORMS")).removesuffix("-TOTAL_FORMS")
    form: dict[str, Any] = {k: v for k, v in data.items() if not k.startswith(prefix + "-")}
    form.update({f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0"})
    form[f"{prefix}-MAX_NUM_FORMS"] = str(MAX_QUESTIONS)
    form[f"{prefix}-TOTAL_FORMS"] = str(count)
    for i in range(count):
        form[f"{prefix}-{i}-kind"] = QuestionKind.CSAT
        form[f"{prefix}-{i}-text"] = f"Question {i}"
        form[f"{prefix}-{i}-required"] = "on"
        form[f"{prefix}-{i}-position"] = str(i)
    return client.post(url, form)


@pytest.mark.parametrize(("count", "saved"), [(3, True), (MAX_QUESTIONS + 1, False)])
def test_the_admin_refuses_a_survey_over_the_question_limit(
    client: Client, admin_user: Any, count: int, saved: bool
) -> None:
    template = SurveyTemplateFactory.create()
    template.questions.all().delete()
    client.force_login(admin_user)

    response = _post_with_questions(client, template, count)

    if saved:
        assert response.status_code == 302
        assert Question.objects.filter(template=template).count() == count
    else:
        assert response.status_code == 200
        assert f"Please submit at most {MAX_QUESTIONS} form" in response.content.decode()
        assert not Question.objects.filter(template=template).exists()
