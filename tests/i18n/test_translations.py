"""Spanish (issue 17): every word a page shows is translatable, the Spanish catalogue is complete
and compiled, and a person gets it by their profile's choice or by their browser, with Spanish
dates, numbers and money."""

from __future__ import annotations

import gettext
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.template.base import DebugLexer, TokenType
from django.utils import translation

from brm.core.models import UserPreference
from brm.core.templatetags.brm import money
from tests.factories import choose_language
from tests.i18n.template_text import untranslated, untranslated_arguments

TEMPLATES = Path(settings.BASE_DIR) / "templates"
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"
# Pages nobody reads, kept out of the template check on purpose.
NOT_FOR_PEOPLE = {
    # `make bench`'s floor: a bare table whose cost the stakeholder list is measured against;
    # a translation tag would change the floor, not a page.
    "bench/floor_table.html",
    # Its signed-in twin: the same rows inside a minimal layout, timed as the list pages' floor.
    "bench/floor_base.html",
    "bench/floor_page.html",
}


def _templates() -> list[Path]:
    return sorted(
        p
        for p in TEMPLATES.rglob("*")
        if p.suffix in {".html", ".txt"} and str(p.relative_to(TEMPLATES)) not in NOT_FOR_PEOPLE
    )


def _read_po(path: Path) -> list[dict[str, object]]:
    """The entries of a .po file: msgid, msgid_plural, msgstr (str, or a list for plurals),
    flags. Enough of the format for the catalogue makemessages writes (no msgctxt in ours)."""
    entries: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    field = ""

    def close() -> None:
        if entry:
            entries.append(dict(entry))
            entry.clear()

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            close()
            field = ""
            continue
        if line.startswith("#,"):
            entry["flags"] = {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?) (\".*\")$", line)
        if match:
            field = match.group(1)
            text = _unquote(match.group(3))
        else:
            text = _unquote(line)
        if field.startswith("msgstr["):
            forms = entry.setdefault("msgstr", [])
            assert isinstance(forms, list)
            index = int(field[7:-1])
            if match:
                forms.append(text)
            else:
                forms[index] += text
        else:
            entry[field] = str(entry.get(field, "") if not match else "") + text
    return entries


def _unquote(quoted: str) -> str:
    body = quoted[1:-1]
    return (
        body.encode("latin-1", "backslashreplace").decode("unicode_escape")
        if "\\" in body
        else body
    )


def test_it_keeps_every_word_a_template_shows_in_translation_tags():
    """Text between tags and read attributes (title, placeholder, aria-label...) outside
    {% translate %}/{% blocktranslate %}, and `|person:"..."`/`|default:"..."` arguments shown
    as they are, are English on a Spanish page."""
    offenders = []
    for path in _templates():
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(TEMPLATES)
        offenders += [
            f"{name}: {kind} {text.strip()!r}" for _, _, text, kind in untranslated(source)
        ]
        offenders += [f"{name}: argument {arg!r}" for arg in untranslated_arguments(source)]
    assert offenders == []


def test_the_template_check_finds_what_it_should():
    """The check itself: a bare word, a title, a |person argument are found; translated text,
    scripts, code and comments are not."""
    source = (
        '{% load i18n %}<p title="Hello">Open</p><button aria-label="{% translate "Go" %}">'
        "{% translate 'Save' %}</button><script>var a = 'word';</script><code>GET /x</code>"
        '{# note #}{% comment %}words{% endcomment %}{{ u|person:"someone" }}'
        "{% blocktranslate count n=2 %}{{ n }} day{% plural %}{{ n }} days{% endblocktranslate %}"
        '{% include "includes/empty.html" with icon="inbox" title="Nothing here" hint=_("Ok") %}'
    )
    assert [(kind, text) for _, _, text, kind in untranslated(source)] == [
        ("title", "Hello"),
        ("text", "Open"),
    ]
    assert untranslated_arguments(source) == ["someone", "Nothing here"]


def test_it_ships_a_complete_spanish_catalogue():
    """No entry is untranslated or fuzzy (msgfmt would leave both out: English on the page)."""
    entries = [e for e in _read_po(CATALOGUE / "django.po") if e.get("msgid")]
    assert len(entries) > 900
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", set())]
    empty = [
        e["msgid"]
        for e in entries
        if (not all(e["msgstr"]) if isinstance(e["msgstr"], list) else not e["msgstr"])
    ]
    assert fuzzy == []
    assert empty == []


def test_the_compiled_catalogue_is_the_po_file():
    """django.mo is committed (no gettext needed to run the app): it holds exactly the .po's
    translations, so a .po edited without `compilemessages` fails here."""
    with (CATALOGUE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for e in _read_po(CATALOGUE / "django.po"):
        msgid = str(e.get("msgid", ""))
        if not msgid:
            continue
        if e.get("msgctxt"):  # a pgettext entry: the .mo keys it "context\x04msgid"
            msgid = f"{e['msgctxt']}\x04{msgid}"
        if isinstance(e["msgstr"], list):
            for i, form in enumerate(e["msgstr"]):
                expected[(msgid, i)] = form
        else:
            expected[msgid] = str(e["msgstr"])
    compiled = {k: v for k, v in compiled.items() if k != ""}
    assert compiled == expected


_TRANSLATE = re.compile(r"""^(?:translate|trans) (["'])(.*?)\1(?: as \w+| noop)*$""")
_ARGUMENT = re.compile(r"""_\((["'])(.*?)\1\)""")


def test_every_message_a_template_asks_for_is_in_the_catalogue():
    """A {% translate "..." %} or _("...") added to a template without `makemessages` shows
    English to a Spanish reader: every literal must be in the Spanish catalogue."""
    with (CATALOGUE / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    missing = []
    for path in _templates():
        for token in DebugLexer(path.read_text(encoding="utf-8")).tokenize():
            if token.token_type not in (TokenType.BLOCK, TokenType.VAR):
                continue
            literals = []
            if token.token_type == TokenType.BLOCK and (match := _TRANSLATE.match(token.contents)):
                literals.append(match.group(2).replace("%", "%%"))
            literals += [m.group(2) for m in _ARGUMENT.finditer(token.contents)]
            missing += [
                f"{path.relative_to(TEMPLATES)}: {m!r}" for m in literals if m not in catalogue
            ]
    assert missing == []


def test_money_and_numbers_follow_the_spanish_conventions(settings):
    settings.BRM_CURRENCY = "EUR"
    with translation.override("es"):
        assert money(Decimal("1234567.5")) == "1\xa0234\xa0567,50\xa0€"
        assert money(Decimal("-2500"), "SEK") == "-2\xa0500\xa0SEK"
    with translation.override("en-gb"):
        assert money(Decimal("1234567.5")) == "€1,234,567.50"


@pytest.mark.django_db
def test_it_speaks_spanish_to_a_person_who_chose_it_on_their_profile(client, brm):
    choose_language(brm, "es")
    client.force_login(brm)
    with time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=UTC), tick=False):
        response = client.get("/profile/", headers={"accept-language": "en-GB,en"})
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in html
    assert "Tus preferencias" in html
    assert "Your preferences" not in html
    assert "Cerrar sesión" in html  # the navigation too
    assert "3 Dic 2026" in html  # the month in Spanish ("j M Y")


@pytest.mark.django_db
def test_a_person_who_chose_english_keeps_it_whatever_the_browser_says(client, brm):
    pref = UserPreference.for_user(brm)
    pref.language = "en-gb"
    pref.save()
    client.force_login(brm)
    html = client.get("/profile/", headers={"accept-language": "es"}).content.decode()
    assert "Your preferences" in html
    assert "Tus preferencias" not in html


@pytest.mark.django_db
def test_a_person_without_a_choice_gets_their_browsers_language(client, brm):
    client.force_login(brm)
    html = client.get("/profile/", headers={"accept-language": "es-ES,es;q=0.9"}).content.decode()
    assert "Tus preferencias" in html


@pytest.mark.django_db
def test_the_login_page_speaks_the_browsers_language(client):
    spanish = client.get("/accounts/login/", headers={"accept-language": "es"})
    assert spanish["Content-Language"] == "es"
    assert "Iniciar sesión" in spanish.content.decode()
    assert "Accept-Language" in spanish["Vary"]
    english = client.get("/accounts/login/", headers={"accept-language": "en-GB"})
    assert "Log in" in english.content.decode()


@pytest.mark.django_db
def test_someone_not_signed_in_chooses_spanish_in_the_footer(client):
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    html = client.get("/accounts/login/", headers={"accept-language": "en-GB"}).content.decode()
    assert "Iniciar sesión" in html


@pytest.mark.django_db
def test_a_language_the_site_does_not_speak_falls_back_to_english(client):
    client.post("/i18n/setlang/", {"language": "fr", "next": "/accounts/login/"})
    html = client.get("/accounts/login/", headers={"accept-language": "fr"}).content.decode()
    assert "Log in" in html


@pytest.mark.django_db
def test_the_api_answers_errors_in_the_callers_language(client, brm):
    """The API's own messages (here a token that is no token) follow Accept-Language like the
    pages: a Spanish integration reads Spanish errors."""
    response = client.get(
        "/api/v1/units/", headers={"authorization": "Bearer nope", "accept-language": "es"}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Token no válido, caducado o revocado."}
    english = client.get(
        "/api/v1/units/", headers={"authorization": "Bearer nope", "accept-language": "en"}
    )
    assert english.json() == {"detail": "Invalid, expired or revoked token."}
