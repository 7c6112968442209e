from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from brm.core.admin import VersionedAdminMixin
from brm.core.errors import InputError
from stakeholders import selectors, services
from stakeholders.models import ActionItem, BusinessUnit, Handover, Interaction, Stakeholder


class BusinessUnitAdminForm(forms.ModelForm[BusinessUnit]):
    """The admin's unit form: BRM and deputy offered from relationship staff only, and the
    services' staffing and placement rule (`check_unit_placement`) shown as field errors."""

    request: HttpRequest | None = None  # set on the class `BusinessUnitAdmin.get_form` makes

    class Meta:
        model = BusinessUnit
        fields = [
            "name",
            "code",
            "parent",
            "description",
            "brm",
            "deputy",
            "review_cadence_days",
            "active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("brm", "deputy"):
            field = self.fields.get(name)
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = selectors.relationship_staff()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        stored = None
        if self.instance.pk is not None:
            stored = BusinessUnit.objects.select_related("parent").get(pk=self.instance.pk)
        candidate = BusinessUnit(
            pk=self.instance.pk,
            name=data.get("name") or self.instance.name,
            parent=data.get("parent"),
            brm=data.get("brm"),
            deputy=data.get("deputy"),
        )
        actor = self.request.user if self.request is not None else None
        try:
            services.check_unit_placement(candidate, actor=actor, stored=stored)
        except InputError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(BusinessUnit)
class BusinessUnitAdmin(VersionedAdminMixin, SimpleHistoryAdmin[BusinessUnit]):
    form = BusinessUnitAdminForm
    list_display = ["name", "code", "parent", "brm", "deputy", "review_cadence_days", "active"]
    list_filter = ["active", "brm"]
    search_fields = ["name", "code"]
    list_select_related = ["parent", "brm", "deputy"]
    autocomplete_fields = ["parent"]

    def get_form(
        self,
        request: HttpRequest,
        obj: BusinessUnit | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        # A class of its own per request, so the form knows who acts (the placement rule).
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def save_model(self, request: HttpRequest, obj: BusinessUnit, form: Any, change: bool) -> None:
        # A BRM change made here is a handover like any other: recorded and the pack sent.
        if change and "brm" in form.changed_data:
            new_brm = obj.brm
            obj.brm = BusinessUnit.objects.get(pk=obj.pk).brm
            super().save_model(request, obj, form, change)
            services.reassign_brm(obj, new_brm=new_brm, actor=request.user)
            obj.refresh_from_db()
            return
        super().save_model(request, obj, form, change)


@admin.register(Stakeholder)
class StakeholderAdmin(VersionedAdminMixin, SimpleHistoryAdmin[Stakeholder]):
    list_display = ["name", "unit", "role_type", "influence", "interest", "user", "active"]
    list_filter = ["role_type", "active", "influence", "interest", "unit"]
    search_fields = ["name", "email", "job_title", "external_id"]
    list_select_related = ["unit", "user"]
    autocomplete_fields = ["unit", "user"]


@admin.register(Interaction)
class InteractionAdmin(VersionedAdminMixin, admin.ModelAdmin[Interaction]):
    list_display = ["summary", "unit", "kind", "occurred_at", "sentiment", "logged_by"]
    list_filter = ["kind", "sentiment", "unit"]
    search_fields = ["summary"]
    date_hierarchy = "occurred_at"
    list_select_related = ["unit", "logged_by"]
    autocomplete_fields = ["unit", "attendees"]
    filter_horizontal = ["it_participants"]


@admin.register(ActionItem)
class ActionItemAdmin(VersionedAdminMixin, SimpleHistoryAdmin[ActionItem]):
    list_display = [
        "title",
        "unit",
        "owner_side",
        "owner",
        "owner_stakeholder",
        "due_date",
        "status",
    ]
    list_filter = ["status", "owner_side", "unit"]
    search_fields = ["title", "description"]
    date_hierarchy = "due_date"
    list_select_related = ["unit", "owner", "owner_stakeholder"]
    autocomplete_fields = ["unit", "owner_stakeholder", "interaction"]
    raw_id_fields = ["owner"]


@admin.register(Handover)
class HandoverAdmin(admin.ModelAdmin[Handover]):
    list_display = ["unit", "from_brm", "to_brm", "created_at", "pack_sent_at"]
    list_select_related = ["unit", "from_brm", "to_brm"]
    readonly_fields = ["unit", "from_brm", "to_brm", "handed_over_by", "pack_sent_at", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # handovers are made by reassigning a unit's BRM
