"""Crawl a signed-in role's pages in a real browser and record what a busy user would trip over.

`crawl_role(browser, base_url, username)` signs in, opens the home page and every link in the
main navigation (level 0), then every internal link those pages show (level 1), and checks the
links those pages show in turn (level 2) for their HTTP status only. Links are deduplicated by
*pattern* (numbers in the path become `N`, only the query's keys count), so `/units/3/` and
`/units/7/` are one page and the crawl stays bounded (`MAX_PAGES`, `MAX_STATUS_ONLY`).

Every rendered page is checked at 1366x900 and, resized in place, at 390x844:
- status below 400 (after redirects);
- no raw markup in the visible text (`<script`, `{{`, `{%`);
- the main navigation fits on one line at 1366 px;
- the page is no wider than the viewport at 390 px (`scrollingElement.scrollWidth`);
- the contrast of every visible text run and every badge is at least 4.5:1, computed from
  `getComputedStyle` (colours resolved through a canvas, backgrounds composited up the tree);
- axe-core (vendored `vendor/axe.min.js`: axe-core 4.14.1 from npm, MPL-2.0, tests only) finds
  no violation of impact serious or critical; its color-contrast rule is off because the
  contrast check above covers it (and costs a fraction of the time).

Findings are `Finding(check, url, detail)`; the tests group them by check. Set
`BRM_CRAWL_SCREENSHOTS=<folder>` to keep a screenshot of every checked page at both widths.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
MAX_PAGES = 40  # rendered and fully checked, per role
MAX_STATUS_ONLY = 60  # level-2 links, status checked only, per role
MIN_CONTRAST = 4.5
RAW_MARKUP = ("<script", "{{", "{%")

# Checked for status only: not our templates (Django admin, Swagger/ReDoc) or not HTML.
STATUS_ONLY_PREFIXES = ("/admin/", "/api/")
STATUS_ONLY_SUFFIXES = (".csv", ".ics")
SKIP_PREFIXES = ("/accounts/logout/", "/static/", "/media/")

CHECKS = ("status", "raw_markup", "phone_width", "nav_one_line", "contrast", "axe")


@dataclass(frozen=True)
class Finding:
    check: str
    url: str  # path and query
    detail: str

    def __str__(self) -> str:
        return f"{self.url}: {self.detail}"


@dataclass
class CrawlResult:
    role: str
    pages: list[str] = field(default_factory=list)
    status_only: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def of(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]


def pattern(path_and_query: str) -> str:
    """`/units/12/?mine=1&page=2` -> `/units/N/?mine&page`: one page per shape."""
    parts = urlsplit(path_and_query)
    path = re.sub(r"/\d+(?=/|$)", "/N", parts.path)
    path = re.sub(r"/s/[^/]+/", "/s/T/", path)  # survey tokens
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


def _local(base_url: str, href: str) -> str | None:
    """The path and query of an internal link, or None for external/fragment/skipped links."""
    url = urlsplit(urljoin(base_url, href))
    base = urlsplit(base_url)
    if url.scheme not in ("http", "https") or url.netloc != base.netloc:
        return None
    if url.path.startswith(SKIP_PREFIXES):
        return None
    return url.path + (f"?{url.query}" if url.query else "")


# The file starts with `//` comment lines, which Playwright's function detection cannot take.
_PAGE_CHECKS_JS = "\n".join(
    line
    for line in (Path(__file__).parent / "page_checks.js").read_text(encoding="utf-8").splitlines()
    if not line.startswith("//")
)

_AXE_JS = """
async () => {
  // Contrast is the "contrast" check's job (the same 4.5:1, badges included); axe's own
  // color-contrast rule costs most of axe's time on long tables.
  const result = await axe.run(document, {
    resultTypes: ["violations"], rules: {"color-contrast": {enabled: false}}});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")), count: v.nodes.length}));
}
"""

_LINKS_JS = """
() => [...document.querySelectorAll("a[href]")]
  .filter((a) => !a.closest("[hidden]"))
  .map((a) => ({href: a.getAttribute("href"), download: a.hasAttribute("download")}))
"""


def _check_page(page: Page, path: str, result: CrawlResult, *, axe: bool) -> None:
    checks = page.evaluate(_PAGE_CHECKS_JS, MIN_CONTRAST)
    for raw in checks["raw"]:
        result.findings.append(Finding("raw_markup", path, raw))
    nav = checks["nav"]
    if nav is not None and not nav["oneLine"]:
        result.findings.append(
            Finding("nav_one_line", path, f"main menu wraps ({nav['height']} px high)")
        )
    for line in checks["contrast"]:
        result.findings.append(Finding("contrast", path, line))
    if axe:
        _run_axe(page, path, result)
    _screenshot(page, path, result.role, DESKTOP)
    page.set_viewport_size(PHONE)
    # A chart's canvas no longer widens the page before Chart.js redraws it (app.css; see
    # test_a_chart_never_widens_the_page_even_before_it_is_redrawn), so this wait normally ends
    # at once; it stays for anything else a script resizes on a later animation frame.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            "() => document.scrollingElement.scrollWidth <= window.innerWidth", timeout=8000
        )
    widths = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, window.innerWidth,"
        " [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > window.innerWidth + 1 && e.parentElement.getBoundingClientRect().right"
        " <= window.innerWidth + 1).slice(0, 3)"
        ".map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'))]"
    )
    if widths[0] > widths[1]:
        result.findings.append(
            Finding(
                "phone_width",
                path,
                f"{widths[0]} px wide at {widths[1]} px; overflowing: {', '.join(widths[2])}",
            )
        )
    _screenshot(page, path, result.role, PHONE)
    page.set_viewport_size(DESKTOP)


def _screenshot(page: Page, path: str, role: str, size: ViewportSize) -> None:
    """With BRM_CRAWL_SCREENSHOTS=<folder>, keep a full-page PNG of each checked page and width
    (`<role>--<path>--<width>.png`) for a person to look at; otherwise nothing."""
    folder = os.environ.get("BRM_CRAWL_SCREENSHOTS")
    if not folder:
        return
    name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"
    Path(folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(folder) / f"{role}--{name}--{size['width']}.png"), full_page=True)


def _run_axe(page: Page, path: str, result: CrawlResult) -> None:
    page.evaluate(AXE_SOURCE)
    for v in page.evaluate(_AXE_JS):
        result.findings.append(
            Finding(
                "axe",
                path,
                f"{v['impact']} {v['id']} ({v['help']}) x{v['count']}: {', '.join(v['targets'])}",
            )
        )


def _login(context: BrowserContext, base_url: str, username: str, password: str) -> Page:
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Log in").click()
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"
    return page


def crawl_role(
    browser: Browser,
    base_url: str,
    username: str,
    password: str,
    *,
    audience: str,
    rendered: set[tuple[str, str]],
) -> CrawlResult:
    """Sign in as `username` and crawl their navigation two levels deep (see the module doc).

    `rendered` is shared by the crawls of one run: (audience, path pattern) pairs already fully
    checked. A role's own home and menu pages are always checked; a deeper page whose template
    another role of the same `audience` ("it" or "business") already checked is only
    status-checked, which keeps four roles' crawls to a minute or two.
    """
    result = CrawlResult(role=username)
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    try:
        page = _login(context, base_url, username, password)
        nav_links = [
            _local(base_url, href)
            for href in page.eval_on_selector_all(
                'nav[aria-label="Main"] a[href]', "els => els.map(a => a.getAttribute('href'))"
            )
        ]
        level0 = ["/", *[link for link in nav_links if link]]
        seen: set[str] = set()
        queue: list[tuple[int, str]] = []
        for path in level0:
            if pattern(path) not in seen:
                seen.add(pattern(path))
                queue.append((0, path))
        status_only: list[str] = []
        while queue and len(result.pages) < MAX_PAGES:
            level, path = queue.pop(0)
            if path.startswith(STATUS_ONLY_PREFIXES) or path.split("?")[0].endswith(
                STATUS_ONLY_SUFFIXES
            ):
                status_only.append(path)
                continue
            template = (audience, pattern(path).split("?")[0])
            if level > 0 and template in rendered:
                status_only.append(path)
                continue
            try:
                response = page.goto(base_url + path, wait_until="load")
            except PlaywrightError as exc:
                # A link that answers with a file (Content-Disposition: attachment) is not a
                # page: its status is checked like the CSV and calendar links.
                if "Download is starting" not in str(exc):
                    raise
                status_only.append(path)
                continue
            status = response.status if response else 0
            if status >= 400:
                result.findings.append(Finding("status", path, f"HTTP {status}"))
                continue
            if "text/html" not in (response.headers.get("content-type", "") if response else ""):
                continue
            result.pages.append(path)
            _check_page(page, path, result, axe=template not in rendered)
            rendered.add(template)
            for link in page.evaluate(_LINKS_JS):
                local = _local(page.url, link["href"])
                if local is None or pattern(local) in seen:
                    continue
                seen.add(pattern(local))
                if level == 0 and not link["download"]:
                    queue.append((1, local))
                else:
                    status_only.append(local)
        status_only.extend(path for _, path in queue)  # over the page budget: status only
        for path in status_only[:MAX_STATUS_ONLY]:
            fetched = context.request.get(base_url + path, max_redirects=5)
            result.status_only.append(path)
            if fetched.status >= 400:
                result.findings.append(Finding("status", path, f"HTTP {fetched.status}"))
    finally:
        context.close()
    return result
