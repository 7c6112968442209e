"""API viewsets for objectives, demands and benefit records.

Reads are scoped by `visible_to` (404 for another unit's demand); every write goes through
`portfolio.services.demand` / `portfolio.services.workflow`: a role that may not act gets 403, a
state that does not allow it 409, bad input 400 per field.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from brm.core.api_versions import VersionedViewSetMixin
from brm.core.attachments.api import AttachmentActionsMixin
from brm.core.roles import Role, role_of, writes_all_units
from portfolio.api.serializers.demand import (
    BenefitRecordSerializer,
    DemandSerializer,
    DemandTransitionSerializer,
    RankOverrideSerializer,
    StrategicObjectiveSerializer,
)
from portfolio.files import DEMAND_FILES
from portfolio.filters.demand import (
    BenefitRecordFilterSet,
    DemandFilterSet,
    StrategicObjectiveFilterSet,
)
from portfolio.models.demand import BenefitRecord, Demand, StrategicObjective
from portfolio.permissions import may_submit_demand
from portfolio.selectors import demand as selectors
from portfolio.services import demand as services
from portfolio.services import workflow


class AnyRole(permissions.BasePermission):
    """Any role may call; the workflow decides what each may do."""

    message = "Your account has no role yet; ask an administrator."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and role_of(user) != Role.NONE)


class ObjectiveAccess(AnyRole):
    """Everyone with a role reads objectives; administrators (and integrations) write them."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        self.message = "Only administrators change strategic objectives."
        return writes_all_units(request.user)


class StrategicObjectiveViewSet(VersionedViewSetMixin, viewsets.ModelViewSet[StrategicObjective]):
    """The organisation's strategic objectives that demands align to."""

    serializer_class = StrategicObjectiveSerializer
    filterset_class = StrategicObjectiveFilterSet
    permission_classes = [ObjectiveAccess]

    def get_queryset(self) -> QuerySet[StrategicObjective]:
        return StrategicObjective.objects.visible_to(self.request.user).order_by("name")


class DemandViewSet(
    VersionedViewSetMixin,
    AttachmentActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Demand],
):
    """Demands, ranked by priority score (with overrides) unless `ordering` is given.

    POST creates an idea; PATCH edits the business case (the unit's BRM); `transition` moves
    the status; `override` reorders with a reason. There is no delete: withdraw or reject.
    """

    serializer_class = DemandSerializer
    filterset_class = DemandFilterSet
    permission_classes = [AnyRole]
    attachment_target = DEMAND_FILES

    def get_queryset(self) -> QuerySet[Demand]:
        if self.action == "list":
            # The list's own rows: no joins, the ranking and benefit sums as fixed SQL.
            ranked = not self.request.query_params.get("ordering")
            rows = selectors.demand_rows(self.request.user, ranked=ranked)
            rows = rows.prefetch_related("objectives")
            return rows if ranked else rows.order_by("-created_at", "-pk")
        qs = selectors.demand_list(self.request.user).prefetch_related("objectives")
        return qs.order_by("-created_at", "-pk")

    def _fresh(self, pk: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Answered before the body is read; `submit_demand` applies the same rule again.
        if not may_submit_demand(request.user):
            raise PermissionDenied(gettext("Your role does not submit demands."))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: BaseSerializer[Demand]) -> None:
        data = serializer.validated_data
        demand = services.submit_demand(
            services.DemandInput(
                title=data["title"],
                problem=data["problem"],
                outcome=data["outcome"],
                urgency=data["urgency"],
                unit=data.get("unit"),
                sponsor=data.get("sponsor"),
            ),
            actor=self.request.user,
        )
        serializer.instance = self.get_queryset().get(pk=demand.pk)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        demand = self.get_object()
        serializer = self.get_serializer(demand, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def pick(name: str) -> Any:
            return data[name] if name in data else getattr(demand, name)

        extra = {k: data[k] for k in ("title", "problem", "outcome") if k in data}
        services.update_business_case(
            demand,
            services.BusinessCase(
                benefit_kind=pick("benefit_kind"),
                expected_benefit=pick("expected_benefit"),
                estimated_cost=pick("estimated_cost"),
                alignment=pick("alignment"),
                risk=pick("risk"),
                effort=pick("effort"),
                objective_ids=[o.pk for o in data["objectives"]] if "objectives" in data else None,
                sponsor=data.get("sponsor"),
                extra=extra,
            ),
            actor=request.user,
        )
        return self._fresh(demand.pk)

    @extend_schema(
        request=DemandTransitionSerializer,
        responses={200: DemandSerializer, 400: None, 403: None, 404: None, 409: None},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the demand to `to` (a reason is required to reject or withdraw)."""
        demand = self.get_object()
        params = DemandTransitionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        workflow.transition_demand(
            demand,
            params.validated_data["to"],
            actor=request.user,
            reason=params.validated_data.get("reason", ""),
        )
        return self._fresh(demand.pk)

    @extend_schema(
        request=RankOverrideSerializer,
        responses={200: DemandSerializer, 400: None, 403: None, 404: None},
    )
    @action(detail=True, methods=["post"])
    def override(self, request: Request, pk: str | None = None) -> Response:
        """Put the demand at `rank` on the board (null: back to its score), with a reason."""
        demand = self.get_object()
        params = RankOverrideSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.override_rank(
            demand,
            params.validated_data["rank"],
            actor=request.user,
            reason=params.validated_data["reason"],
        )
        return self._fresh(demand.pk)


class BenefitRecordViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[BenefitRecord],
):
    """Planned and realised benefit per period of delivered demands.

    POST records a period (or updates the one starting that day); `confirm` is the sponsor's
    business attestation. `confirmed_by` empty means the figure is an IT estimate.
    """

    serializer_class = BenefitRecordSerializer
    filterset_class = BenefitRecordFilterSet
    permission_classes = [AnyRole]

    def get_queryset(self) -> QuerySet[BenefitRecord]:
        return (
            BenefitRecord.objects.visible_to(self.request.user)
            .select_related("demand__unit")
            .order_by("demand_id", "period_start")
        )

    def _record(
        self, demand: Demand, data: dict[str, Any], instance: BenefitRecord | None = None
    ) -> BenefitRecord:
        def pick(name: str) -> Any:
            if name in data or instance is None:
                return data.get(name)
            return getattr(instance, name)

        return services.record_benefit(
            demand,
            actor=self.request.user,
            period_start=instance.period_start if instance else data["period_start"],
            period_end=pick("period_end"),
            planned=pick("planned_amount"),
            realised=pick("realised_amount"),
            note=pick("note") or "",
        )

    def perform_create(self, serializer: BaseSerializer[BenefitRecord]) -> None:
        data = serializer.validated_data
        serializer.instance = self._record(data["demand"], data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        serializer = self.get_serializer(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "demand" in data and data["demand"].pk != record.demand_id:
            raise ValidationError({"demand": [gettext("A record stays with its demand.")]})
        saved = self._record(record.demand, data, instance=record)
        return Response(self.get_serializer(saved).data)

    @extend_schema(request=None, responses={200: BenefitRecordSerializer, 403: None})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """The sponsor confirms this realised figure (business-confirmed, not an IT estimate)."""
        record = self.get_object()
        services.confirm_benefits(record.demand, [record.pk], actor=request.user)
        record.refresh_from_db()
        return Response(self.get_serializer(record).data)
