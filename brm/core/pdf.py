"""PDF documents from our templates with WeasyPrint, offline.

WeasyPrint (maintained, BSD, HTML/CSS to PDF on pango; no browser to run) renders a template
written for print: `templates/includes/pdf_base.html` and `static/css/print.css` (A4, a running
header, page numbers). Rendering never touches the network: the URL fetcher serves the files
under our own `STATIC_URL` from disk (the vendored assets) and refuses every other URL (another
host, `file:`, `data:`, a path outside static), so a link or image in user text cannot make the
server fetch anything. Charts are inline SVG (`brm.core.svgcharts`), never canvas.
"""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.template.loader import render_to_string

if TYPE_CHECKING:
    from django.http import HttpRequest
    from weasyprint.document import Document  # type: ignore[import-untyped]


class RefusedURL(ValueError):
    """A URL the PDF renderer may not fetch (anything but our own static files)."""


def _static_prefix() -> str:
    """The absolute URL our static files live under, as the PDF's base URL resolves them."""
    static_url = settings.STATIC_URL or "/static/"
    if static_url.startswith(("http://", "https://")):
        return static_url
    return f"{settings.SITE_URL}/{static_url.lstrip('/')}"


def static_file(url: str) -> Path:
    """The file on disk behind one of our static URLs; `RefusedURL` for any other URL.

    Looks in the static directories (plain storage, development and tests) and then in
    `STATIC_ROOT` (collected, hashed names in production). Never leaves those directories.
    """
    prefix = _static_prefix()
    parts = urlsplit(url)
    if not url.startswith(prefix) or parts.query or ".." in unquote(parts.path).split("/"):
        raise RefusedURL(f"Not one of our static files: {url[:200]}")
    name = unquote(parts.path[len(urlsplit(prefix).path) :])
    found = finders.find(name)
    if isinstance(found, str):
        return Path(found)
    if settings.STATIC_ROOT and staticfiles_storage.exists(name):
        return Path(staticfiles_storage.path(name))
    raise RefusedURL(f"No such static file: {name[:200]}")


# WeasyPrint is imported on first use, not with this module: loading it (pango through cffi,
# its default stylesheets) takes about two seconds, which every web worker, job and manage.py
# command would otherwise pay at start for a feature few requests use.
@functools.cache
def _renderer() -> tuple[Any, Any]:
    """WeasyPrint's `HTML` class and our URL fetcher class (built once)."""
    import weasyprint  # type: ignore[import-untyped]  # noqa: PLC0415 - see above
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no types
        """Our static files from disk, nothing else: no network, no `file:`, no `data:`."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            path = static_file(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    return weasyprint.HTML, StaticOnlyFetcher


def static_fetcher() -> Any:
    """WeasyPrint's URL fetcher for our documents: `static_file` behind WeasyPrint's API."""
    return _renderer()[1]()


def pdf_document(
    template: str, context: dict[str, Any], request: HttpRequest | None = None
) -> Document:
    """The laid-out document (pages, text), for `write_pdf` or for a test to read."""
    html = render_to_string(template, context, request=request)
    html_class = _renderer()[0]
    return html_class(
        string=html, base_url=f"{settings.SITE_URL}/", url_fetcher=static_fetcher()
    ).render()


def pdf_response(
    template: str, context: dict[str, Any], request: HttpRequest, filename: str
) -> HttpResponse:
    """`template` rendered to a PDF download named `filename` (application/pdf)."""
    pdf = pdf_document(template, context, request).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def document_text(document: Document) -> str:
    """All text laid out in `document`, page by page (for tests and checks; no PDF parser)."""
    chunks: list[str] = []

    def walk(box: Any) -> None:
        text = getattr(box, "text", None)
        if isinstance(text, str):
            chunks.append(text)
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return " ".join(chunks)
