"""The shapes of `/api/v1/survey-results/` for the OpenAPI schema (the view builds the dicts
from `satisfaction.selectors`; these serializers only document them, field for field).

A group hidden by the anonymity rule (`suppressed`) carries only `key`, `label` and
`suppressed`, so every figure is optional; a hidden measure is null.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from satisfaction.models import CampaignStatus


class ScoresSerializer(serializers.Serializer[Any]):
    """CSAT and NPS figures of one group (`satisfaction.selectors.Figures.as_dict`)."""

    suppressed = serializers.BooleanField(
        help_text="Too few responses to show (anonymous campaigns): no figures follow."
    )
    responses = serializers.IntegerField(required=False)
    csat = serializers.FloatField(
        required=False, allow_null=True, help_text="Mean satisfaction 1-5; null when hidden."
    )
    csat_answers = serializers.IntegerField(required=False)
    nps = serializers.FloatField(
        required=False, allow_null=True, help_text="Net promoter score -100..100; null when hidden."
    )
    nps_answers = serializers.IntegerField(required=False)
    promoters = serializers.IntegerField(required=False, allow_null=True)
    passives = serializers.IntegerField(required=False, allow_null=True)
    detractors = serializers.IntegerField(required=False, allow_null=True)


class GroupScoresSerializer(ScoresSerializer):
    """The figures of the whole campaign (`key` null), one unit or one service (its id)."""

    key = serializers.IntegerField(allow_null=True, help_text="The unit's or service's id.")
    # Declared fields are class attributes; the stubs see this one as `Field.label`.
    label = serializers.CharField()  # type: ignore[assignment]


class ScoreCountSerializer(serializers.Serializer[Any]):
    score = serializers.IntegerField()
    count = serializers.IntegerField()


class ResponseRateSerializer(serializers.Serializer[Any]):
    """Invitations of the campaign and its runs (`satisfaction.selectors.response_rate`)."""

    invited = serializers.IntegerField()
    sent = serializers.IntegerField()
    answered = serializers.IntegerField()
    reminded = serializers.IntegerField()


class SurveyResultSerializer(serializers.Serializer[Any]):
    """One campaign's results: overall, per unit (IT staff only), per service, distributions."""

    campaign = serializers.IntegerField()
    anonymous = serializers.BooleanField()
    min_group = serializers.IntegerField(
        allow_null=True, help_text="Smallest group shown (anonymous campaigns), else null."
    )
    overall = GroupScoresSerializer()
    by_unit = GroupScoresSerializer(many=True, help_text="Empty for business leaders.")
    by_service = GroupScoresSerializer(many=True)
    distribution = serializers.DictField(
        child=ScoreCountSerializer(many=True),
        help_text="Per measure (`csat`, `nps`): how many answers gave each score.",
    )
    response_rate = ResponseRateSerializer(allow_null=True, help_text="Null for leaders.")


class SurveyResultRowSerializer(ScoresSerializer):
    """One campaign in the results list (a leader's figures are their unit's)."""

    campaign = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=CampaignStatus.choices)
    anonymous = serializers.BooleanField()
    date = serializers.DateField(
        required=False, allow_null=True, help_text="When the campaign opened (if answered)."
    )
