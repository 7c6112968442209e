"""The admin's side of people's data: the retention settings, and "Export personal data" and
"Erase personal data" actions on stakeholders and users (administrators only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from brm.core.errors import RULE_ERRORS
from brm.privacy import services
from brm.privacy.models import RetentionSettings
from brm.privacy.permissions import may_handle_personal_data
from stakeholders.admin import StakeholderAdmin
from stakeholders.models import Stakeholder


@admin.register(RetentionSettings)
class RetentionSettingsAdmin(admin.ModelAdmin[RetentionSettings]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return not RetentionSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PersonalDataActions(admin.ModelAdmin[Any]):
    """The two actions, for a model admin whose records are people (`subject_type`)."""

    subject_type = ""

    def has_personal_data_permission(self, request: HttpRequest) -> bool:
        return may_handle_personal_data(request.user)

    @admin.action(description="Export personal data", permissions=["personal_data"])
    def export_personal_data(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        """One selected person: their export page (which records the export)."""
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one person to export.", messages.WARNING)
            return None
        pk = queryset.values_list("pk", flat=True)[0]
        return HttpResponseRedirect(reverse(f"privacy:{self.subject_type}_export", args=[pk]))

    @admin.action(description="Erase personal data", permissions=["personal_data"])
    def erase_personal_data(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        """Ask for confirmation, then erase each selected person (one transaction each)."""
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Erase personal data?",
                "people": list(queryset),
                "action": "erase_personal_data",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "privacy/admin_erase_confirm.html", context)
        erased = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                services.erase_person(self.subject_type, pk, actor=request.user)
            except RULE_ERRORS as exc:
                self.message_user(request, f"#{pk}: {exc}", messages.ERROR)
                continue
            erased += 1
        self.message_user(request, f"Erased {erased} of {queryset.count()}.", messages.SUCCESS)
        return None


def _with_actions(base: type[admin.ModelAdmin[Any]]) -> list[Any]:
    return [*(base.actions or []), "export_personal_data", "erase_personal_data"]


class PrivacyStakeholderAdmin(PersonalDataActions, StakeholderAdmin):
    subject_type = "stakeholder"
    actions = _with_actions(StakeholderAdmin)


class PrivacyUserAdmin(PersonalDataActions, UserAdmin[User]):
    subject_type = "user"
    actions = _with_actions(UserAdmin)


def _replace(model: type[Model], admin_class: type[admin.ModelAdmin[Any]]) -> None:
    # The register and Django's auth app own these admins; the actions are added here so
    # they know nothing of the project floor (this app is loaded after them).
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, admin_class)


_replace(Stakeholder, PrivacyStakeholderAdmin)
_replace(User, PrivacyUserAdmin)
