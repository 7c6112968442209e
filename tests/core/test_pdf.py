"""PDF rendering is offline: the renderer fetches our static files and nothing else."""

from __future__ import annotations

import pytest
from django.conf import settings

from brm.core.pdf import RefusedURL, static_fetcher, static_file


def _static(name: str) -> str:
    return f"{settings.SITE_URL}/{settings.STATIC_URL.lstrip('/')}{name}"


def test_it_serves_our_own_static_files_from_disk():
    response = static_fetcher().fetch(_static("css/print.css"))
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/static/css/print.css",  # another host
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
        "file:///etc/passwd",
        "data:text/css,body{}",
        "SITE/other/page/",  # ours, but not a static file
        "SITE/static/../../brm/settings.py",  # out of the static directories
        "SITE/static/css/print.css?x=1",
        "SITE/static/no/such/file.css",
    ],
)
def test_it_refuses_everything_else(url):
    url = url.replace("SITE", settings.SITE_URL)
    with pytest.raises(RefusedURL):
        static_file(url)


def test_a_document_never_reaches_the_network(monkeypatch):
    import socket

    from brm.core import pdf

    def no_network(*args, **kwargs):
        raise AssertionError("the PDF renderer opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    asked = []
    real = pdf.static_file

    def counted(url):
        asked.append(url)
        return real(url)

    monkeypatch.setattr(pdf, "static_file", counted)
    html_class = pdf._renderer()[0]
    document = html_class(
        string='<link rel="stylesheet" href="/static/css/print.css">'
        '<img src="http://169.254.169.254/x.png"><img src="file:///etc/hostname">'
        "<p>Offline</p>",
        base_url=f"{settings.SITE_URL}/",
        url_fetcher=pdf.static_fetcher(),
    ).render()
    assert "Offline" in pdf.document_text(document)
    assert set(asked) == {
        _static("css/print.css"),
        "http://169.254.169.254/x.png",
        "file:///etc/hostname",
    }
    assert document.write_pdf().startswith(b"%PDF-")
