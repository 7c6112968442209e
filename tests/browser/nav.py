"""Following the main menu in a browser test: some links sit in a dropdown group (issue 15)."""

from __future__ import annotations

from playwright.sync_api import Page


def follow_menu(page: Page, name: str) -> None:
    """Click the main menu's link `name`, opening its dropdown group first when it is in one."""
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        nav.locator(".dropdown", has=link).locator(".dropdown-toggle").click()
    link.click()
