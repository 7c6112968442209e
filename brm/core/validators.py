"""Text rules every app applies the same way: single-line names and header-safe text.

A name or title is one line of text. Control characters in it (CR and LF, NUL, TAB and the
other C0 codes, DEL, the C1 codes, and Unicode's line and paragraph separators) break whatever
the name later goes into: an email subject becomes two headers, a CSV row splits, a PDF or
calendar line is cut, PostgreSQL refuses NUL with a 500. `single_line` refuses them with a
per-field message; it is a model field validator on every name and title (so the admin,
ModelForms and ModelSerializers refuse them: HTTP 400 in the API) and `StyledFormMixin` adds it
to every single-line form field. Free text (descriptions, comments) keeps its line breaks and is
escaped where it goes: `header_text` for email headers, `brm.core.htmx.csv_response` for CSV.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# C0 controls (including TAB, CR, LF, NUL), DEL, C1 controls, LINE/PARAGRAPH SEPARATOR.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

SINGLE_LINE_MESSAGE = (
    "Use one line of plain text: line breaks, tabs and other control characters are not allowed."
)


@deconstructible
class SingleLineValidator:
    """Refuses a value containing any control character (see `CONTROL_CHARACTERS`).

    Raises `ValidationError` with code "control_characters". A deconstructible class (not a
    function) so migrations can name it."""

    message = SINGLE_LINE_MESSAGE
    code = "control_characters"

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SingleLineValidator)

    def __hash__(self) -> int:
        return hash(self.code)


single_line = SingleLineValidator()


def header_text(value: str, limit: int = 250) -> str:
    """`value` made safe for one email header (a Subject built from user text): every run of
    control characters, line breaks included, becomes one space; trimmed to `limit` chars."""
    return re.sub(r"\s+", " ", CONTROL_CHARACTERS.sub(" ", value)).strip()[:limit]
