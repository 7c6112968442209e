"""API viewsets of surveys: templates and campaigns (BRMs and admins), and read-only results.

No endpoint returns single answers: `survey-results` gives aggregates, with the anonymity rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from brm.core.api_versions import VersionedViewSetMixin
from brm.core.roles import Role, is_it_side, leader_unit_id, role_of
from satisfaction import selectors, services
from satisfaction.api.results import SurveyResultRowSerializer, SurveyResultSerializer
from satisfaction.api.serializers import (
    AudienceSerializer,
    CampaignSerializer,
    SurveyTemplateSerializer,
)
from satisfaction.audience import plan_audience
from satisfaction.models import Campaign, SatisfactionSettings, SurveyTemplate


class SurveyTemplateViewSet(VersionedViewSetMixin, viewsets.ModelViewSet[SurveyTemplate]):
    """Questionnaires. IT-side roles read them; BRMs and administrators write them."""

    serializer_class = SurveyTemplateSerializer

    def get_queryset(self) -> QuerySet[SurveyTemplate]:
        return SurveyTemplate.objects.visible_to(self.request.user).prefetch_related("questions")

    # Who may write questionnaires is `satisfaction.permissions`, enforced by the services (403).

    def perform_create(self, serializer: BaseSerializer[SurveyTemplate]) -> None:
        data = dict(serializer.validated_data)
        questions = data.pop("questions")
        serializer.instance = services.save_template(
            SurveyTemplate(**data), actor=self.request.user, questions=questions
        )

    def perform_update(self, serializer: BaseSerializer[SurveyTemplate]) -> None:
        data = dict(serializer.validated_data)
        questions = data.pop("questions", None)
        template = serializer.instance
        assert template is not None  # an update always has its instance
        for key, value in data.items():
            setattr(template, key, value)
        serializer.instance = services.save_template(
            template, actor=self.request.user, questions=questions
        )

    def perform_destroy(self, instance: SurveyTemplate) -> None:
        services.delete_template(instance, actor=self.request.user)


class CampaignViewSet(VersionedViewSetMixin, viewsets.ModelViewSet[Campaign]):
    """Survey campaigns: `schedule/` and `close/` move them on; `audience/` previews recipients."""

    serializer_class = CampaignSerializer

    def get_queryset(self) -> QuerySet[Campaign]:
        user = self.request.user
        qs = Campaign.objects.visible_to(user) if is_it_side(user) else Campaign.objects.none()
        return qs.select_related("template").prefetch_related("units").order_by("-created_at")

    def perform_create(self, serializer: BaseSerializer[Campaign]) -> None:
        data = dict(serializer.validated_data)
        units = data.pop("units")
        serializer.instance = services.create_campaign(actor=self.request.user, units=units, **data)

    def perform_update(self, serializer: BaseSerializer[Campaign]) -> None:
        data = dict(serializer.validated_data)
        units = data.pop("units", None)
        campaign = serializer.instance
        assert campaign is not None  # an update always has its instance
        serializer.instance = services.update_campaign(
            campaign, actor=self.request.user, units=units, **data
        )

    def perform_destroy(self, instance: Campaign) -> None:
        services.delete_campaign(instance, actor=self.request.user)

    def _move(self, request: Request, operation: Callable[..., Campaign]) -> Response:
        campaign = self.get_object()
        campaign = operation(campaign, actor=request.user)
        return Response(CampaignSerializer(campaign, context={"request": request}).data)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk: str | None = None) -> Response:
        return self._move(request, services.schedule_campaign)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._move(request, services.close_campaign)

    @extend_schema(responses=AudienceSerializer)
    @action(detail=True, methods=["get"])
    def audience(self, request: Request, pk: str | None = None) -> Response:
        plan = plan_audience(self.get_object())
        return Response(
            AudienceSerializer(
                {"selected": [p.pk for p in plan.selected], "skipped": plan.skipped}
            ).data
        )


class SurveyResultViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Campaign]
):
    """Aggregates per campaign: overall, per unit and per service CSAT/NPS and distributions.

    A business leader gets only their own unit's figures. Anonymous campaigns hide groups with
    fewer responses than the anonymity minimum. Never single answers or comments.
    """

    serializer_class = None

    def get_queryset(self) -> QuerySet[Campaign]:
        return (
            Campaign.objects.visible_to(self.request.user)
            .exclude(status="draft")
            .select_related("template")
            .order_by("-created_at", "-pk")
        )

    def _unit_ids(self) -> list[int] | None:
        if role_of(self.request.user) == Role.LEADER:
            own = leader_unit_id(self.request.user)
            return [own] if own is not None else []
        return None

    @extend_schema(
        operation_id="v1_survey_results_list", responses=SurveyResultRowSerializer(many=True)
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        conf = SatisfactionSettings.get()
        rows = selectors.trend(
            [c.pk for c in page],
            unit_ids=self._unit_ids(),
            hide_below=conf.anonymity_min_group,
        )
        by_id = {r["key"]: r for r in rows}
        data = [
            {
                "campaign": c.pk,
                "name": c.name,
                "status": c.status,
                "anonymous": c.anonymous,
                **{
                    k: None if k == "date" and not v else v  # never "" for a date
                    for k, v in by_id.get(c.pk, {"responses": 0, "suppressed": False}).items()
                    if k not in {"key", "label"}
                },
            }
            for c in page
        ]
        return self.get_paginated_response(data)

    @extend_schema(operation_id="v1_survey_results_retrieve", responses=SurveyResultSerializer)
    def retrieve(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        campaign = self.get_object()
        res = selectors.results(campaign, unit_ids=self._unit_ids(), with_comments=False)
        data = res.as_dict()
        if self._unit_ids() is not None:
            data["by_unit"] = []
        data["response_rate"] = (
            vars(selectors.response_rate(campaign)) if is_it_side(request.user) else None
        )
        return Response(data)
