"""Following the main menu in a browser test: some links sit in a dropdown group (issue 15)."""

from __future__ import annotations

import re

from playwright.sync_api import Page


def follow_menu(page: Page, name: str) -> None:
    """Click the main menu's link `name`, opening its dropdown group first when it is in one."""
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name=name, exact=True)
    if not link.count():  # a closed dropdown's links are hidden, so roles do not find them
        item = page.locator("a.dropdown-item", has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))
        nav.locator(".dropdown", has=item).locator(".dropdown-toggle").click()
    link.click()
