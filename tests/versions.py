"""Helpers for the lost-update tests of every app (#12): submit an edit page as a browser would,
after someone else saved the record, and check an endpoint's ETag and If-Match.

`edit_form(html)` reads the form that carries the hidden `version` input (what a browser would
post: text inputs, ticked boxes, selected options, text areas), so a test needs no knowledge of
each form's fields beyond the one it changes.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.db.models import Model
from django.test import Client
from rest_framework.test import APIClient

STALE_MESSAGE = "Someone else saved this record after you opened it"


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, list[str]]] = []
        self._form: dict[str, list[str]] | None = None
        self._select: tuple[str, bool] | None = None  # name, multiple
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {}
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.setdefault(name, []).append(a.get("value") or "on")
                return
            form.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = (name, "multiple" in a)
            self._select_first, self._select_chosen = None, False
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                form.setdefault(self._select[0], []).append(value)
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple = self._select
            if not self._select_chosen and not multiple and self._select_first is not None:
                self._form.setdefault(name, []).append(self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.setdefault(self._textarea, []).append(self._text.lstrip("\n"))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data


def edit_form(html: str) -> dict[str, list[str]]:
    """What a browser posts from the page's form that carries `version` (name -> values)."""
    reader = _FormReader()
    reader.feed(html)
    forms = [f for f in reader.forms if "version" in f]
    assert len(forms) == 1, "the page has one edit form with the record's version"
    return forms[0]


def stored(record: Model) -> Any:
    return type(record)._default_manager.get(pk=record.pk)


def assert_stale_edit_refused_then_reapplied(
    client: Client,
    page_url: str,
    record: Any,
    *,
    field: str,
    yours: str,
    theirs: Any,
    post_url: str | None = None,
) -> None:
    """Open the edit page, let someone else save `field` = `theirs`, submit `yours`: refused
    with the input kept and the field's row in the table; submitting the re-shown form saves."""
    post_url = post_url or page_url
    record = stored(record)
    data = edit_form(client.get(page_url).content.decode())
    assert data["version"] == [str(record.version)]
    other = stored(record)
    setattr(other, field, theirs)
    other.save()

    data[field] = [yours]
    refused = client.post(post_url, data)

    assert refused.status_code in (200, 400), refused
    html = refused.content.decode()
    assert STALE_MESSAGE in html
    assert f'<tr data-field="{field}">' in html, "the table names the field changed meanwhile"
    assert getattr(stored(record), field) == theirs  # nothing of the stale form was saved
    again = edit_form(html)
    assert again["version"] == [str(other.version)], "the re-shown form holds the new version"
    assert again[field] == [yours], "the user's entry is kept"

    saved = client.post(post_url, again)

    assert saved.status_code == 302, saved
    assert str(getattr(stored(record), field)) == yours
    assert stored(record).version == other.version + 1


def assert_etag_and_if_match(api: APIClient, url: str, record: Any) -> None:
    """GET gives the version as ETag; PATCH with an older ETag is 412 and changes nothing;
    PATCH with the current one is 200 with the ETag of the version now stored."""
    record = stored(record)
    read = api.get(url)
    assert read.status_code == 200, read
    assert read["ETag"] == f'"{record.version}"'

    stale = api.patch(url, {}, format="json", HTTP_IF_MATCH=f'"{record.version + 5}"')
    assert stale.status_code == 412, stale
    assert set(stale.json()) == {"detail"}
    assert stale["ETag"] == read["ETag"]
    assert stored(record).version == record.version

    fresh = api.patch(url, {}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert fresh.status_code == 200, fresh.content
    assert fresh["ETag"] == f'"{stored(record).version}"'
