"""Spanish (issue 17), the Python side: every message the code marks for translation is in the
Spanish catalogue, translated; and no flash message, shown error, form label or email subject
leaves the code as bare English (tests/i18n/python_text.py says what counts)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from tests.i18n.python_text import derived_exceptions, marked_messages, untranslated_sinks
from tests.i18n.test_translations import CATALOGUE, _read_po

BASE = Path(settings.BASE_DIR)
# What `make messages` leaves out (its --ignore), and what makemessages never reads.
NOT_SCANNED = {".venv", "var", "tests", "node_modules", "migrations"}
# The product's code: the kernel and project (brm/) and the business apps.
APPS = ("brm", "stakeholders", "reviews", "complaints", "portfolio", "satisfaction")
# Modules no business user reads: management commands and the benches print to an operator's
# terminal, in English like the logs.
OPERATOR_ONLY = ("management",)

# Bare English the check allows, as "path: first 40 characters" -> why it may stay. Empty: the
# gettext pass of issue 17 wrapped every string it found (117 when the check arrived); a new
# bare string fails `test_it_gives_people_no_bare_english_from_python`, and an entry here whose
# string is translated (or gone) fails `test_known_english_lists_only_what_is_still_english`.
KNOWN_ENGLISH: dict[str, tuple[str, ...]] = {}
_ALLOWED = {key for keys in KNOWN_ENGLISH.values() for key in keys}


def _python_files(roots: tuple[str, ...]) -> list[Path]:
    return sorted(
        path
        for root in roots
        for path in (BASE / root).rglob("*.py")
        if not NOT_SCANNED & set(path.relative_to(BASE).parts)
    )


def _sink_files() -> list[Path]:
    return [
        p
        for p in _python_files(APPS)
        if not set(OPERATOR_ONLY) & set(p.parts) and not p.name.startswith("bench")
    ]


def _is_api(name: Path) -> bool:
    """A module of the REST API (`api/`, `api.py`, `api_*.py`, `*_api.py`)."""
    return "api" in name.parts or name.stem.startswith("api") or name.stem.endswith("_api")


def test_every_message_python_marks_is_translated_in_the_catalogue():
    """A `gettext("...")` added without `make messages` (or left untranslated or fuzzy) shows
    English to a Spanish reader. Extracted as makemessages does (the gettext family by name,
    every .py it reads), compared with the committed django.po."""
    catalogue: dict[tuple[object, object], dict[str, object]] = {}
    for entry in _read_po(CATALOGUE / "django.po"):
        if entry.get("msgid"):
            key = (entry.get("msgctxt") or None, entry["msgid"])
            catalogue[key] = entry
    top_level = tuple(p.name for p in BASE.iterdir() if p.is_dir() and p.name not in NOT_SCANNED)
    problems = []
    for path in [*_python_files(top_level), *BASE.glob("*.py")]:
        name = path.relative_to(BASE)
        for context, msgid, plural in marked_messages(path.read_text(encoding="utf-8")):
            found = catalogue.get((context, msgid))
            if found is None:
                problems.append(f"{name}: missing {msgid!r}")
                continue
            msgstr = found["msgstr"]
            forms = msgstr if isinstance(msgstr, list) else [msgstr]
            flags = found.get("flags", set())
            if not all(forms) or (isinstance(flags, set) and "fuzzy" in flags):
                problems.append(f"{name}: untranslated or fuzzy {msgid!r}")
            elif plural is not None and found.get("msgid_plural") != plural:
                problems.append(f"{name}: plural {plural!r} not in the catalogue")
    assert problems == []


def test_it_gives_people_no_bare_english_from_python():
    """Flash messages, the messages of errors people see (pages and API), form and filter
    labels, help texts and email subjects (the inbox's titles) pass through gettext."""
    found = _bare_english()
    assert sorted(where for key, where in found.items() if key not in _ALLOWED) == []


def test_known_english_lists_only_what_is_still_english():
    """An entry of KNOWN_ENGLISH whose string is translated now (or gone) is deleted, so the
    list only shrinks and cannot hide a new string that happens to match an old one."""
    assert sorted(_ALLOWED - set(_bare_english())) == []


def _bare_english() -> dict[str, str]:
    """{"path: first 40 characters": "path:line 'text'"} for every bare string the check finds."""
    files = _sink_files()
    sources = {p: p.read_text(encoding="utf-8") for p in files}
    exceptions = derived_exceptions(sources.values())
    found = {}
    for path, source in sources.items():
        name = path.relative_to(BASE)
        for line, text in untranslated_sinks(source, exceptions, api=_is_api(name)):
            found[f"{name}: {text[:40]}"] = f"{name}:{line} {text!r}"
    return found


GOOD = """
from django.contrib import messages
from django.utils.translation import gettext as _, gettext_lazy
from rest_framework import serializers
from brm.core.errors import InputError, StateConflict

class Form:
    name = forms.CharField(label=_("Name"), help_text=gettext_lazy("Your name."))

def view(request, n):
    messages.success(request, _("Saved."))
    messages.info(request, _("%(n)s saved.") % {"n": n})
    raise InputError("title", _("Give a title."))

def other(user):
    message = _("Not yours.")
    raise StateConflict(message)

def api():
    raise serializers.ValidationError({"unit": _("Pick a unit.")}, code="invalid_unit")
    return {"detail": {"type": "string", "description": "Schema text."}}
"""

BAD = """
from django.contrib import messages
from brm.core.errors import InputError, StateConflict

class Broken(StateConflict):
    pass

class Form:
    name = forms.CharField(label="Name")

def view(request, n):
    messages.success(request, f"{n} saved.")
    raise InputError("title", "Give a title.")

def other(user):
    message = "Not yours."
    raise StateConflict(message)

def api(item):
    raise Broken("It broke.")
    return {"detail": "Gone for good."}

def email(item):
    send(subject="Reminder: " + item.title)
    _(f"Hello {item}")
"""


def test_the_python_check_finds_what_it_should():
    """The check itself: bare English in each kind of place is found (through a local name, a
    subclass, a sum, an f-string); translated text, codes and schema text are not."""
    assert untranslated_sinks(GOOD) == []
    exceptions = derived_exceptions([BAD])
    assert untranslated_sinks(BAD, exceptions) == [
        (9, "Name"),
        (12, "f'{} saved.'"),
        (13, "Give a title."),
        (16, "Not yours."),
        (20, "It broke."),
        (21, "Gone for good."),
        (24, "Reminder: "),
        (25, "_() of a built string: not extracted"),
    ]
    # An item stored in a local dict that becomes the error (the model `clean` pattern).
    stored = (
        "from django.core.exceptions import ValidationError\n"
        "def clean(self):\n"
        "    errors = {}\n"
        "    errors['end'] = 'The period must end after it starts.'\n"
        "    errors['code'] = _('Give a code.')\n"
        "    raise ValidationError(errors)\n"
    )
    assert untranslated_sinks(stored) == [(4, "The period must end after it starts.")]
    assert marked_messages(GOOD)[:2] == [(None, "Name", None), (None, "Your name.", None)]
    assert (None, "%(n)s saved.", None) in marked_messages(GOOD)
