"""What the row-tag tests share (issue 14): each tag must write what the template loop it
replaced wrote, byte for byte, over the same rows."""

from __future__ import annotations

from typing import Any

from django.template import Context, Template

# Text that must come out escaped wherever a row writes a name.
HOSTILE = "<b>&\"'x"


def same(loop: Template, tag: Template, context: dict[str, Any]) -> str:
    """The tag's output over `context`, asserted equal to the loop's."""
    ours = tag.render(Context(context))
    assert ours == loop.render(Context(context))
    return ours
