"""API viewsets for objectives, demands and benefit records.

Reads are scoped by `visible_to` (404 for another unit's demand); every write goes through
`portfolio.services.demand` / `portfolio.services.workflow`: a role that may not act gets 403, a
state that does not allow it 409, bad input 400 per field.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from brm.core.roles import Role, role_of, writes_all_units
from portfolio.api.serializers.demand import (
    BenefitRecordSerializer,
    DemandSerializer,
    DemandTransitionSerializer,
    RankOverrideSerializer,
    StrategicObjectiveSerializer,
)
from portfolio.filters.demand import (
    BenefitRecordFilterSet,
    DemandFilterSet,
    StrategicObjectiveFilterSet,
)
from portfolio.models.demand import BenefitRecord, StrategicObjective
from portfolio.selectors import demand as selectors
from portfolio.services import demand as services
from portfolio.services import workflow


class AnyRole(permissions.BasePermission):
    """Any role may call; the workflow decides what each may do."""

    message = "Your account has no role yet; ask an administrator."

    def has_permission(self, request: Request, view) -> bool:  # type: ignore[no-untyped-def]
        user = request.user
        return bool(user and user.is_authenticated and role_of(user) != Role.NONE)


class ObjectiveAccess(AnyRole):
    """Everyone with a role reads objectives; administrators (and integrations) write them."""

    def has_permission(self, request: Request, view) -> bool:  # type: ignore[no-untyped-def]
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        self.message = "Only administrators change strategic objectives."
        return writes_all_units(request.user)


class StrategicObjectiveViewSet(viewsets.ModelViewSet):
    """The organisation's strategic objectives that demands align to."""

    serializer_class = StrategicObjectiveSerializer
    filterset_class = StrategicObjectiveFilterSet
    permission_classes = [ObjectiveAccess]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return StrategicObjective.objects.visible_to(self.request.user).order_by("name")


class DemandViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Demands, ranked by priority score (with overrides) unless `ordering` is given.

    POST creates an idea; PATCH edits the business case (the unit's BRM); `transition` moves
    the status; `override` reorders with a reason. There is no delete: withdraw or reject.
    """

    serializer_class = DemandSerializer
    filterset_class = DemandFilterSet
    permission_classes = [AnyRole]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = selectors.demand_list(self.request.user).prefetch_related("objectives")
        if self.action == "list" and not self.request.query_params.get("ordering"):
            return selectors.ranked(qs)
        return qs.order_by("-created_at", "-pk")

    def _fresh(self, pk: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    def create(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        if role_of(request.user) not in {Role.LEADER, Role.BRM, Role.ADMIN}:
            raise PermissionDenied("Your role does not submit demands.")
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
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

    def update(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        demand = self.get_object()
        serializer = self.get_serializer(demand, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def pick(name: str) -> object:
            return data[name] if name in data else getattr(demand, name)

        extra = {k: data[k] for k in ("title", "problem", "outcome") if k in data}
        services.update_business_case(
            demand,
            services.BusinessCase(
                benefit_kind=pick("benefit_kind"),  # type: ignore[arg-type]
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
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Planned and realised benefit per period of delivered demands.

    POST records a period (or updates the one starting that day); `confirm` is the sponsor's
    business attestation. `confirmed_by` empty means the figure is an IT estimate.
    """

    serializer_class = BenefitRecordSerializer
    filterset_class = BenefitRecordFilterSet
    permission_classes = [AnyRole]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return (
            BenefitRecord.objects.visible_to(self.request.user)
            .select_related("demand__unit")
            .order_by("demand_id", "period_start")
        )

    def _record(self, demand, data, instance=None):  # type: ignore[no-untyped-def]
        def pick(name: str) -> object:
            if name in data or instance is None:
                return data.get(name)
            return getattr(instance, name)

        return services.record_benefit(
            demand,
            actor=self.request.user,
            period_start=instance.period_start if instance else data["period_start"],
            period_end=pick("period_end"),  # type: ignore[arg-type]
            planned=pick("planned_amount"),
            realised=pick("realised_amount"),
            note=pick("note") or "",  # type: ignore[arg-type]
        )

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        data = serializer.validated_data
        serializer.instance = self._record(data["demand"], data)

    def update(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        record = self.get_object()
        serializer = self.get_serializer(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "demand" in data and data["demand"].pk != record.demand_id:
            raise ValidationError({"demand": ["A record stays with its demand."]})
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
