"""allauth's OpenID Connect login, hardened: a nonce is sent and checked, and the ID token's
signature is always verified against the provider's published keys.

allauth (65.x) skips the signature check when the ID token came straight from the token
endpoint (OpenID Connect Core 3.1.3.7 allows it over TLS) and sends no nonce. A single sign-on
that decides roles should not rely on the channel alone: a token signed by another key, or
issued for another login (replayed), is refused here. The paths and URL names are allauth's,
so these views answer in its place (brm/urls.py lists them before allauth's).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp, SocialToken
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path


class VerifiedOIDCAdapter(OpenIDConnectOAuth2Adapter):  # type: ignore[misc]
    """Requires an ID token, verifies its signature (the provider's JWKS), issuer, audience and
    expiry, and that its `nonce` is the one this login sent (`expected_nonce`)."""

    expected_nonce: str | None = None

    def complete_login(
        self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs: Any
    ) -> Any:
        if not kwargs["response"].get("id_token"):
            raise OAuth2Error("The provider sent no ID token.")
        return super().complete_login(request, app, token, **kwargs)

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        data: dict[str, Any] = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )
        nonce = data.get("nonce")
        if not (
            self.expected_nonce
            and isinstance(nonce, str)
            and hmac.compare_digest(nonce, self.expected_nonce)
        ):
            raise OAuth2Error("The ID token's nonce is not this login's.")
        return data


class NonceLoginView(OAuth2LoginView):  # type: ignore[misc]
    """allauth's login redirect with a fresh `nonce` in the authorization request, kept in the
    login's state (server-side, in the session) for the callback to compare."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider = self.get_provider()
        if request.method != "POST":  # a GET only shows allauth's "continue?" page
            page: HttpResponse = super().dispatch(request, *args, **kwargs)
            return page
        redirect_kwargs = provider.get_redirect_from_request_kwargs(request)
        nonce = secrets.token_urlsafe(32)
        redirect_kwargs["auth_params"] = {**redirect_kwargs.get("auth_params", {}), "nonce": nonce}
        response: HttpResponse = provider.redirect(request, nonce=nonce, **redirect_kwargs)
        return response


class NonceCallbackView(OAuth2CallbackView):  # type: ignore[misc]
    """allauth's callback (state, PKCE verifier, code exchange) with the nonce from the state."""

    def _get_state(self, request: HttpRequest, provider: Any) -> tuple[Any, Any]:
        state, response = super()._get_state(request, provider)
        if state is not None:
            self.adapter.expected_nonce = state.get("nonce")
        return state, response


def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        view = NonceLoginView.adapter_view(VerifiedOIDCAdapter(request, provider_id))
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    return response


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        view = NonceCallbackView.adapter_view(VerifiedOIDCAdapter(request, provider_id))
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    return response


urlpatterns = [
    path("oidc/<str:provider_id>/login/", login, name="openid_connect_login"),
    path("oidc/<str:provider_id>/login/callback/", callback, name="openid_connect_callback"),
]
