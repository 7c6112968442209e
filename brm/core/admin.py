"""Admin for the kernel's records (API tokens, the outbox of emails, the in-app inbox) and the
admin base of every versioned record (`VersionedAdminMixin`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from brm.core import delivery
from brm.core.errors import StaleVersion
from brm.core.forms import VersionedFormMixin
from brm.core.models import (
    AddressOptOut,
    ApiToken,
    AuditEvent,
    Notification,
    OutboundEmail,
    UserPreference,
    VersionedModel,
)

if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin[Any]  # the mixin always precedes a ModelAdmin
else:
    _AdminBase = object


class VersionedAdminMixin(_AdminBase):
    """The admin change page of a `VersionedModel` record posts back the version it was opened
    at, so two administrators editing one record cannot overwrite each other unseen.

    Put it first in the bases of every ModelAdmin of a versioned model (tests/core check the
    registry). The admin's form, its own `form` or Django's, gets
    `brm.core.forms.VersionedFormMixin`; the change page carries the hidden `version`
    (templates/admin/versioned_change_form.html, and the history revert page,
    versioned_object_history_form.html). A form opened before someone else's save is re-shown
    with the user's input, the error and the table of what is saved now (the hidden field then
    holds the current version, so saving again applies the entries). A save that loses the race
    in the instant after that check (`StaleVersion` from the model's conditional UPDATE, from
    the form, a service or an inline) is rolled back and the page is answered once more, which
    then shows the same refusal: never a 500 or the 412 page. Inline children save at the
    version read in the request; the parent's version guards the page (every admin save
    bumps it). Reverting from the history applies the old values over the current version.
    """

    change_form_template = "admin/versioned_change_form.html"
    object_history_form_template = "admin/versioned_object_history_form.html"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if isinstance(obj, VersionedModel) and obj.pk is not None:
            # The change page just read it; a history revert hands over the old version's
            # instance, whose values (not version) are to be saved over the current one.
            current = type(obj)._base_manager.filter(pk=obj.pk).values_list("version", flat=True)
            stored = current.first()
            if stored is not None:
                obj.version = stored
        form = super().get_form(request, obj, change, **kwargs)
        if not issubclass(form, VersionedFormMixin):
            form = type(form.__name__, (VersionedFormMixin, form), {})
        return form

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleVersion:
            # Someone saved between this request's check and its UPDATE: everything of this
            # request was rolled back (the admin's atomic block); answering again re-reads the
            # record, so the posted version is now the older one and the form refuses it.
            return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are shown once, at creation; afterwards only their id and usage are visible."""

    list_display = [
        "name",
        "user",
        "key_id",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "key_id"]
    fields = ["user", "name", "expires_at", "revoked_at", "key_id", "last_used_at", "created_at"]
    readonly_fields = ["key_id", "last_used_at", "created_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = ApiToken.issue(obj.user, obj.name)
        token.expires_at = obj.expires_at
        token.save(update_fields=["expires_at"])
        obj.pk = token.pk
        messages.warning(
            request,
            gettext("Copy this token now; it will not be shown again: %(token)s") % {"token": raw},
        )

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request,
            ngettext("%(count)s token revoked.", "%(count)s tokens revoked.", count)
            % {"count": count},
        )


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin[OutboundEmail]):
    """Every notification email and where it stands; read-only, since the delivery path owns
    the state. Emails given up on can be sent again once the cause is fixed."""

    list_display = ["key", "state", "attempts", "created_at", "sent_at", "recipients"]
    list_filter = ["state", "kind"]
    search_fields = ["key", "message_id", "recipients"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboundEmail | None = None) -> bool:
        return False

    def has_send_again_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_outboundemail")

    @admin.action(description="Send the selected failed emails again", permissions=["send_again"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        count = delivery.retry_failed(queryset)
        self.message_user(request, f"{count} email(s) will be sent again by the next sweep.")


class ReadListFilter(admin.SimpleListFilter):
    """Read or unread (`read_at` set or not)."""

    title = _("read state")
    parameter_name = "read"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Already read")), ("no", _("Not read yet"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    """The in-app inbox's entries, for support ("did Maria get the escalation?"): who, what
    kind, the subject and link, when received and read. Read-only and never added here: the
    delivery path writes them, the recipient reads them, retention deletes them. The body is
    left out: it is the message as written for its recipient, and the subject and link say
    what it was about. Deleting one (a wrong notification) is allowed."""

    list_display = ["created_at", "user", "kind", "subject", "read_at"]
    list_filter = ["kind", ReadListFilter, ("user", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["subject", "user__username", "user__email", "kind"]
    date_hierarchy = "created_at"
    fields = ("user", "kind", "subject", "link", "email", "created_at", "read_at")
    readonly_fields = ("user", "kind", "subject", "link", "email", "created_at", "read_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin[UserPreference]):
    """Each user's time zone and notification preferences (validated on save)."""

    list_display = ["user", "time_zone", "updated_at"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(AddressOptOut)
class AddressOptOutAdmin(admin.ModelAdmin[AddressOptOut]):
    """Addresses without a login that unsubscribed from a kind of email ("*": all)."""

    list_display = ["email", "kind", "created_at"]
    search_fields = ["email"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The audit log of administrative acts (people's data exported or erased, retention runs,
    sign-in events): read-only, so nobody edits the record of what they did."""

    list_display = ["at", "action", "actor", "subject_type", "subject_id"]
    list_filter = ["action", "subject_type"]
    list_select_related = ["actor"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
