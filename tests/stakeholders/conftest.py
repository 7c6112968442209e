"""Fixtures for the stakeholder tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):  # type: ignore[no-untyped-def]
    # Every persona gets a password from its factory; PBKDF2 costs ~0.3 s per user, MD5 nothing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
