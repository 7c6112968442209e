"""Finds the words a template shows that no translation tag holds.

`untranslated(source)` walks a template's tokens (Django's DebugLexer, so each has its place in
the file) through a small HTML state machine carried across tokens: text between tags, and the
values of the attributes people read (title, placeholder, aria-label, alt, hx-confirm...). Text
inside <script>, <style>, <code> and <kbd>, in {% comment %}, {% verbatim %} and
{% blocktranslate %} blocks (the last is a message already), {# #} comments and template tags or
variables is not visible text. A piece counts when it still has a letter once HTML
entities are removed; the allow-list holds the few words that are the same in every language
(the product's name, "API", "CSV").

Returns [(start, end, text, kind)] with offsets in the source; kind is "text" or the attribute.
"""

from __future__ import annotations

import re

from django.template.base import DebugLexer, TokenType

# Attributes whose values are read by people (or by screen readers).
READ_ATTRIBUTES = frozenset(
    {"title", "placeholder", "aria-label", "alt", "hx-confirm", "data-confirm", "label"}
)
# The same in English and Spanish: the product, acronyms and file formats.
SAME_IN_EVERY_LANGUAGE = frozenset(
    {"BRM", "API", "CSV", "JSON", "PDF", "HTML", "OpenAPI", "Swagger", "ReDoc", "Redoc", "TOTP"}
)
# Text that is not words: a CSS class a block fills in (brm/evidence.html's pdf_class).
NOT_WORDS = frozenset({"pdf-wide"})
_ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")
_LETTER = re.compile(r"[^\W\d_]")
_ATTR = re.compile(r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*$")
# Words inside blocktranslate are the message itself.
_HIDDEN_BLOCKS = {
    "comment": "endcomment",
    "verbatim": "endverbatim",
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
}
# Not words to translate: scripts, styles, and code a person types or copies as it is.
_RAW_ELEMENTS = ("script", "style", "code", "kbd", "samp")


def is_visible(text: str) -> bool:
    """Whether `text` has a letter outside entities and the allow-list."""
    if text.strip() in NOT_WORDS:
        return False
    words = _ENTITY.sub(" ", text)
    words = " ".join(w for w in words.split() if w.strip(".,:;()·") not in SAME_IN_EVERY_LANGUAGE)
    return bool(_LETTER.search(words))


def untranslated(source: str) -> list[tuple[int, int, str, str]]:
    """The visible pieces of `source` outside translation tags, in order."""
    found: list[tuple[int, int, str, str]] = []
    state = "text"  # text | tag | value
    quote = ""
    attr = ""
    raw_until = ""  # inside <script>/<style>: the closing tag to wait for
    hidden_until = ""  # inside {% comment %}/{% verbatim %}: the end tag
    tag_buffer = ""
    for token in DebugLexer(source).tokenize():
        assert token.position is not None  # DebugLexer gives every token its place
        start, _end = token.position
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if hidden_until:
                if name == hidden_until:
                    hidden_until = ""
            elif name in _HIDDEN_BLOCKS:
                hidden_until = _HIDDEN_BLOCKS[name]
            continue
        if token.token_type != TokenType.TEXT or hidden_until:
            continue
        text = source[start:_end]
        i = 0
        run_start = i
        while i < len(text):
            ch = text[i]
            if raw_until:
                if text.lower().startswith(raw_until, i):
                    raw_until = ""
                    state = "tag"
                    i += len("</")
                    tag_buffer = "/"  # a closing tag: nothing raw after it
                    continue
                i += 1
                continue
            if state == "text":
                if ch == "<":
                    _report(found, text, run_start, i, start, "text")
                    state = "tag"
                    tag_buffer = ""
                    i += 1
                    continue
                i += 1
                continue
            if state == "tag":
                if ch in "\"'":
                    match = _ATTR.search(tag_buffer)
                    attr = match.group(1).lower() if match else ""
                    state, quote = "value", ch
                    run_start = i + 1
                elif ch == ">":
                    state = "text"
                    element = tag_buffer.strip().split()[0].lower() if tag_buffer.strip() else ""
                    if element in _RAW_ELEMENTS:
                        raw_until = f"</{element}"
                    run_start = i + 1
                else:
                    tag_buffer += ch
                i += 1
                continue
            # state == "value"
            if ch == quote:
                if attr in READ_ATTRIBUTES:
                    _report(found, text, run_start, i, start, attr)
                state = "tag"
                tag_buffer += "_"
            i += 1
        if state == "text" and not raw_until:
            _report(found, text, run_start, len(text), start, "text")
        elif state == "value" and attr in READ_ATTRIBUTES:
            _report(found, text, run_start, len(text), start, attr)
    return found


def _report(
    found: list[tuple[int, int, str, str]], text: str, a: int, b: int, offset: int, kind: str
) -> None:
    piece = text[a:b]
    if is_visible(piece):
        found.append((offset + a, offset + b, piece, kind))


# `{{ x|default:"never" }}` shows its argument: it must be `default:_("never")`; so do the texts
# an include is given (`{% include "includes/empty.html" with title=_("...") %}`). Template
# names, icons, ids and the allow-list are not words.
_SHOWN_ARGUMENT = re.compile(
    r'\|(?:person|default):"([^"]*)"'
    r'|\b(?:action_label|caption|first|hint|title|text|label|heading|message)="([^"]*)"'
)


def untranslated_arguments(source: str) -> list[str]:
    """The filter arguments a page shows as they are (`|person:"someone"`), in order."""
    found = []
    for token in DebugLexer(source).tokenize():
        if token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            continue
        if token.token_type == TokenType.BLOCK and not token.contents.startswith("include "):
            shown = [f for f, _ in _SHOWN_ARGUMENT.findall(token.contents) if f]
        else:
            shown = [f or w for f, w in _SHOWN_ARGUMENT.findall(token.contents)]
        for argument in shown:
            if is_visible(argument) and not argument.endswith((".html", ".txt")):
                found.append(argument)
    return found
