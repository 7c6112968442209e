"""An API token's name is one line (brm.core.validators.single_line on ApiToken.name): the
admin's form, the model's validation, `ApiToken.issue` and the management command refuse CR, LF,
NUL and other control characters; a plain name is accepted."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from brm.core.models import ApiToken

BAD_NAMES = ["HR sync\r\nBcc: x@example.org", "HR\x00sync", "HR\tsync", "HR\u2028sync"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_admin_refuses_a_token_name_with_control_characters(
    client: Any, admin_user: Any, integration: Any, name: str
) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:core_apitoken_add"), {"user": integration.pk, "name": name}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
    assert not ApiToken.objects.exists()


def test_the_admin_accepts_a_plain_token_name(
    client: Any, admin_user: Any, integration: Any
) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:core_apitoken_add"), {"user": integration.pk, "name": "HR sync"}
    )
    assert response.status_code == 302
    assert ApiToken.objects.get().name == "HR sync"


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_model_and_issue_refuse_it(integration: Any, name: str) -> None:
    token = ApiToken(user=integration, name=name, key_id="abc", secret_hash="0" * 64)
    with pytest.raises(ValidationError) as caught:
        token.full_clean()
    assert "name" in caught.value.message_dict
    with pytest.raises(ValidationError):
        ApiToken.issue(integration, name)
    assert not ApiToken.objects.exists()


def test_the_command_refuses_it(integration: Any) -> None:
    with pytest.raises(CommandError, match="--name"):
        call_command("create_api_token", user=integration.username, name="HR\r\nsync")
    assert not ApiToken.objects.exists()
    call_command("create_api_token", user=integration.username, name="HR sync")
    assert ApiToken.objects.get().name == "HR sync"
