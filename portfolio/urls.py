"""Pages of the portfolio app, in two namespaces: `portfolio` (the service catalogue) and
`demands` (the demand portfolio and strategic objectives)."""

from __future__ import annotations

from django.urls import include, path

from brm.core.attachments.views import attachment_urls
from portfolio.files import DEMAND_FILES
from portfolio.views import attestation, catalogue, demand

catalogue_patterns = [
    path("services/", catalogue.service_list, name="service_list"),
    path("services/export.csv", catalogue.service_export, name="service_export"),
    path("services/<int:pk>/", catalogue.service_detail, name="service_detail"),
]

demand_patterns = [
    path("demands/", demand.demand_list, name="demand_list"),
    path("demands/board/", demand.demand_board, name="demand_board"),
    path("demands/new/", demand.demand_create, name="demand_create"),
    path("demands/export.csv", demand.demand_export, name="demand_export"),
    path("demands/value/", demand.demand_value, name="demand_value"),
    path("demands/<int:pk>/", demand.demand_detail, name="demand_detail"),
    path("demands/<int:pk>/case/", demand.demand_case, name="demand_case"),
    path("demands/<int:pk>/transition/", demand.demand_transition, name="demand_transition"),
    path("demands/<int:pk>/override/", demand.demand_override, name="demand_override"),
    path("demands/<int:pk>/benefits/", demand.demand_benefit, name="demand_benefit"),
    path("demands/<int:pk>/confirm/", demand.demand_confirm, name="demand_confirm"),
    *attachment_urls("demands/<int:pk>/files/", DEMAND_FILES),
    # The sponsor's signed single-use link from the attestation email (no login).
    path("demands/attest/<str:token>/", attestation.attestation_answer, name="attestation_answer"),
    path("objectives/", demand.objective_list, name="objective_list"),
]

# No `app_name` here: each part is included under its own namespace, so the URL names stay
# `portfolio:service_list` and `demands:demand_board` as the templates use them.
urlpatterns = [
    path("", include((catalogue_patterns, "portfolio"))),
    path("", include((demand_patterns, "demands"))),
]
