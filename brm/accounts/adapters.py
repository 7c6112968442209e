"""allauth's adapters: nobody signs up with a password; single sign-on signs a verified address in
to its one account, or creates an account when BRM_SSO_CREATE_USERS allows it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.account.utils import filter_users_by_email
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings

if TYPE_CHECKING:
    from allauth.socialaccount.models import SocialLogin
    from django.contrib.auth.models import AbstractUser
    from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """Accounts are made by administrators (or by single sign-on), never by a sign-up form."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    """Single sign-on (OpenID Connect): a verified address signs in to the one active account that
    holds it; an address two accounts share signs in to neither (an administrator links the
    right one). A new account only when `BRM_SSO_CREATE_USERS` is on."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return bool(settings.BRM_SSO_CREATE_USERS)

    def authenticate_by_email(self, sociallogin: SocialLogin) -> tuple[AbstractUser, str] | None:
        for address in sociallogin.email_addresses:
            if not address.verified or not self.can_authenticate_by_email(
                sociallogin, address.email
            ):
                continue
            users = filter_users_by_email(address.email, is_active=True)
            if len(users) == 1:
                return users[0], address.email
        return None

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """An address an administrator typed on the account, now verified by the identity
        provider, is recorded as verified, so allauth keeps the account's local password (it
        wipes it when the address could be an impostor's unverified sign-up; here nobody signs
        up)."""
        user: Any = sociallogin.user
        # Set by allauth's lookup when this login matched the account by its address.
        email = getattr(sociallogin, "_did_authenticate_by_email", None)
        if not email or user is None or user.pk is None:
            return
        if email.lower() == (user.email or "").lower():
            EmailAddress.objects.update_or_create(
                user=user, email__iexact=email, defaults={"email": email, "verified": True}
            )
