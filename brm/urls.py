"""URL wiring: each app's pages, one API router under /api/v1/, schema and docs."""

from __future__ import annotations

from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import IsAuthenticated

from brm import views
from brm.accounts import oidc
from brm.core import inbox_api
from brm.core.api import router
from brm.health import unit_page
from brm.health.api.views import HealthViewSet
from brm.imports.api import register as register_import_api
from brm.privacy.api import register as register_privacy_api
from brm.search import urls as search_urls
from brm.webhooks.api import register as register_webhook_api
from complaints.api.urls import register as register_complaint_api
from portfolio.api.urls import register as register_portfolio_api
from reviews.api.urls import register as register_review_api
from satisfaction.api.urls import register as register_satisfaction_api
from stakeholders import urls as stakeholder_urls
from stakeholders.api.urls import register as register_stakeholder_api

# The admin says whose it is (issue 15: it was "Django administration").
admin.site.site_header = "BRM administration"
admin.site.site_title = "BRM admin"
admin.site.index_title = "Business relationship records"
# The admin signs in through the one login page (lockout, MFA, single sign-on), not its own form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

register_stakeholder_api(router)
router.register("health", HealthViewSet, basename="health")
register_complaint_api(router)
register_portfolio_api(router)
register_review_api(router)
register_satisfaction_api(router)
register_webhook_api(router)
register_import_api(router)
register_privacy_api(router)

unit_page_urls = [
    path("units/<int:pk>/", unit_page.unit_detail, name="unit_detail"),
    path("units/<int:pk>/timeline/", unit_page.unit_timeline_region, name="unit_timeline"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that do not link one (the admin, raw files).
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"), permanent=True),
        name="favicon",
    ),
    path("readyz", views.readyz, name="readyz"),
    # Sign-in is django-allauth's (brm/accounts); "login" and "logout" stay as names of its pages.
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", account_views.logout, name="logout"),
    path("accounts/", include(oidc.urlpatterns)),  # allauth's OpenID Connect, nonce checked
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    # set_language (POST next= and language=): the footer's choice for someone not signed in.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("brm.core.urls")),
    path("", include("brm.health.urls")),
    # The register's pages, plus the unit page and timeline it shows but cannot assemble itself
    # (they read every workflow app): same paths and names, `stakeholders:unit_detail`.
    path("", include((stakeholder_urls.urlpatterns + unit_page_urls, "stakeholders"))),
    path("", include("complaints.urls")),
    path("", include("portfolio.urls")),
    path("", include("reviews.urls")),
    path("", include("satisfaction.urls")),
    path("", include("brm.imports.urls")),
    path("", include("brm.privacy.urls")),
    path("", include("brm.search.urls")),
    path("api/v1/", include(search_urls.api_urlpatterns)),
    path("api/v1/", include(inbox_api.urlpatterns)),
    path("api/v1/", include(router.urls)),
    # The schema answers to a token or a session like every endpoint; the docs pages to a login.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="schema",
    ),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        login_required(
            SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")
        ),
        name="redoc",
    ),
]
