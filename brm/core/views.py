"""The kernel's own pages: unsubscribing from notification emails (no login: a signed link) and
each user's preferences (time zone, which notifications and how)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from brm.core import delivery
from brm.core.forms import StyledFormMixin
from brm.core.models import DeliveryMode, UserPreference, validate_time_zone


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
        label = "all notification emails you may refuse"
    else:
        label = str(settings.NOTIFICATION_KINDS.get(kind, {}).get("label", kind))
    done = False
    if request.method == "POST":
        delivery.unsubscribe(address, kind)
        done = True
    context = {"address": address, "label": label, "done": done, "token": token}
    return render(request, "core/unsubscribe.html", context)


def _kinds() -> list[tuple[str, str]]:
    return [
        (kind, str(entry.get("label", kind)))
        for kind, entry in settings.NOTIFICATION_KINDS.items()
        if not delivery.kind_is_required(kind)
    ]


class PreferenceForm(StyledFormMixin, forms.Form):
    """Time zone and, per kind of email that may be refused, immediately / daily / off."""

    time_zone = forms.CharField(
        required=False,
        max_length=64,
        validators=[validate_time_zone],
        help_text="An IANA name such as Europe/London; empty for the site's "
        f"({settings.TIME_ZONE}).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in _kinds():
            self.fields[f"kind:{kind}"] = forms.ChoiceField(
                label=label,
                choices=DeliveryMode.choices,
                initial=DeliveryMode.IMMEDIATE,
                widget=forms.Select(attrs={"class": "form-select"}),
            )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in user's time zone and notification preferences."""
    pref = UserPreference.for_user(request.user)
    initial: dict[str, Any] = {"time_zone": pref.time_zone}
    initial.update({f"kind:{k}": pref.mode(k) for k, _ in _kinds()})
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        pref.time_zone = form.cleaned_data["time_zone"].strip()
        pref.notifications = {
            **pref.notifications,
            **{k: form.cleaned_data[f"kind:{k}"] for k, _ in _kinds()},
        }
        pref.full_clean()
        pref.save()
        messages.success(request, "Your preferences are saved.")
        return redirect("core:profile")
    return render(request, "core/profile.html", {"form": form}, status=400 if form.errors else 200)
