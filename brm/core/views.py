"""The kernel's own pages: unsubscribing from notification emails (no login: a signed link) and
each user's preferences (time zone, which notifications and how)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from brm.core import delivery
from brm.core.forms import StyledFormMixin
from brm.core.models import ApiToken, DeliveryMode, UserPreference, validate_time_zone
from brm.core.tokens import MAX_TOKEN_DAYS, create_own_token, may_create_token, revoke_own_token
from brm.core.validators import single_line


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no token or cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link stops and a button (a link scanner's GET changes nothing);
    POST stops it, also the RFC 8058 one-click POST. A forged or damaged token: 404 page."""
    parsed = delivery.read_unsubscribe_token(token)
    if parsed is None:
        return render(request, "core/unsubscribe.html", {"invalid": True}, status=404)
    address, kind = parsed
    if kind == delivery.ALL_KINDS:
        label = _("all notification emails you may refuse")
    else:  # the kinds' labels are marked with gettext_noop in settings
        label = _(str(settings.NOTIFICATION_KINDS.get(kind, {}).get("label", kind)))
    done = False
    if request.method == "POST":
        delivery.unsubscribe(address, kind)
        done = True
    context = {"address": address, "label": label, "done": done, "token": token}
    return render(request, "core/unsubscribe.html", context)


def _kinds() -> list[tuple[str, str]]:
    return [
        (kind, _(str(entry.get("label", kind))))  # marked with gettext_noop in settings
        for kind, entry in settings.NOTIFICATION_KINDS.items()
        if not delivery.kind_is_required(kind)
    ]


class PreferenceForm(StyledFormMixin, forms.Form):
    """Time zone, language and, per kind of email that may be refused, immediately / daily / off."""

    time_zone = forms.CharField(
        required=False,
        max_length=64,
        validators=[validate_time_zone],
        help_text=format_lazy(
            gettext_lazy("An IANA name such as Europe/London; empty for the site's ({zone})."),
            zone=settings.TIME_ZONE,
        ),
    )

    language = forms.ChoiceField(
        required=False,
        choices=[],  # settings.LANGUAGES, read per form (tests and deployments change it)
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=gettext_lazy("Pages and emails in this language; empty follows your browser."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Your browser's language")), *settings.LANGUAGES]
        for kind, label in _kinds():
            self.fields[f"kind:{kind}"] = forms.ChoiceField(
                label=label,
                choices=DeliveryMode.choices,
                initial=DeliveryMode.IMMEDIATE,
                widget=forms.Select(attrs={"class": "form-select"}),
            )


class TokenForm(StyledFormMixin, forms.Form):
    """A new API token for oneself: what uses it, and after how many days it expires."""

    name = forms.CharField(
        max_length=100,
        validators=[single_line],
        help_text=gettext_lazy("What uses it, e.g. 'Excel report'."),
    )
    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        initial=90,
        label=gettext_lazy("Expires after (days)"),
        help_text=format_lazy(gettext_lazy("1 to {days}; empty for never."), days=MAX_TOKEN_DAYS),
    )


def _profile_page(
    request: HttpRequest,
    form: PreferenceForm,
    token_form: TokenForm,
    *,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    context = {
        "form": form,
        "token_form": token_form if may_create_token(user) else None,
        "tokens": ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"),
        "new_token": new_token,
        "has_password": user.has_usable_password(),
    }
    return render(request, "core/profile.html", context, status=status)


def _preference_form(request: HttpRequest, data: Any = None) -> PreferenceForm:
    pref = UserPreference.for_user(request.user)
    initial: dict[str, Any] = {"time_zone": pref.time_zone, "language": pref.language}
    initial.update({f"kind:{k}": pref.mode(k) for k, _ in _kinds()})
    return PreferenceForm(data, initial=initial)


@login_required
@require_http_methods(["POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    """Create an API token for the signed-in user; the page shows its value this once (it is
    rendered, never redirected through the session). 403 for a user without a role."""
    user: Any = request.user
    if not may_create_token(user):
        return HttpResponse("Only users with a role may hold API tokens.", status=403)
    token_form = TokenForm(request.POST)
    if not token_form.is_valid():
        return _profile_page(request, _preference_form(request), token_form, status=400)
    token, raw = create_own_token(
        user, token_form.cleaned_data["name"], days=token_form.cleaned_data["days"]
    )
    messages.success(
        request,
        _("Token “%(name)s” created. Copy it now: it is shown once.") % {"name": token.name},
    )
    response = _profile_page(request, _preference_form(request), TokenForm(), new_token=raw)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the signed-in user's tokens; another user's is 404."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    revoke_own_token(request.user, token)  # type: ignore[arg-type]
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("core:profile")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in user's time zone, notification preferences, sign-in and API tokens."""
    pref = UserPreference.for_user(request.user)
    form = _preference_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        pref.time_zone = form.cleaned_data["time_zone"].strip()
        pref.language = form.cleaned_data["language"]
        pref.notifications = {
            **pref.notifications,
            **{k: form.cleaned_data[f"kind:{k}"] for k, _ in _kinds()},
        }
        pref.full_clean()
        pref.save()
        messages.success(request, _("Your preferences are saved."))
        return redirect("core:profile")
    return _profile_page(request, form, TokenForm(), status=400 if form.errors else 200)
