"""Finds the English a Python module hands to people without gettext, and the messages it marks.

`marked_messages(source)` lists what makemessages would extract from a module: the literal
arguments of the gettext family (`_`, `gettext`, `gettext_lazy`, `ngettext`, `pgettext`,
`gettext_noop`...), as `(context, msgid, msgid_plural)`; xgettext keys on the function's name
whatever object it is called on, and so does this.

`untranslated_sinks(source, exceptions)` lists the plain string literals and f-strings that reach
a place people read without passing through gettext:

- `messages.success/error/info/warning/debug(request, ...)`, `messages.add_message(..., ...)`
  and `form.add_error(field, ...)`;
- the message of an exception shown to people: Django's and DRF's `ValidationError`,
  `PermissionDenied`, DRF's `NotFound`, `ParseError`, `AuthenticationFailed`..., the project's
  `StateConflict`, `ForbiddenAction`, `InputError` (its message, not its field) and every class a
  scanned module derives from one of them (`exceptions` carries those names across modules);
- the keywords forms, serializers and model fields show: `label=`, `help_text=`,
  `verbose_name=`, `empty_label=`, `error_messages=`, and `subject=` (an email's subject is the
  title of the in-app notification it becomes);
- `{"detail": "..."}`, DRF's error shape, built by hand.

Model fields' `verbose_name=`/`help_text=` are checked too: a ModelForm's label and help text and
the API schema's descriptions come from them. A model's `class Meta: verbose_name = "..."` is
not: it names a table in the admin and in logs, not a word a business user reads.

A message is followed through a local name (`message = "..."; raise StateConflict(message)`)
and into its parts (`"a" + x`, `f"..."`, `"%s" % x`, `x if y else "..."`, dict values, list
items), but never into a gettext call: what gettext wraps is translated. A literal counts when
it has a letter once placeholders and HTML tags are gone and it is not a code (lower-case
identifiers, dotted names, paths: `"invalid"`, `"complaints:detail"`). gettext given an
f-string or a variable is reported too: makemessages cannot extract it.

Returns [(line, text)] in source order.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

# The gettext family makemessages extracts (xgettext's Python defaults plus Django's keywords):
# name -> (index of the context, of the msgid, of the plural) among the positional arguments.
GETTEXT: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
# Exceptions whose message people read (pages flash it, the API answers it), and where it sits:
# name -> index of the message among the positional arguments, and its keyword.
SHOWN_EXCEPTIONS: dict[str, tuple[int, str]] = {
    "ValidationError": (0, "message"),  # Django's; DRF's is (detail, code): same place
    "PermissionDenied": (0, "detail"),
    "NotFound": (0, "detail"),
    "ParseError": (0, "detail"),
    "AuthenticationFailed": (0, "detail"),
    "NotAuthenticated": (0, "detail"),
    "APIException": (0, "detail"),
    "StateConflict": (0, "message"),
    "ForbiddenAction": (0, "message"),
    "InputError": (1, "message"),  # (field, message): the field is a code
}
MESSAGE_FUNCTIONS = {"success": 1, "error": 1, "info": 1, "warning": 1, "debug": 1}
SHOWN_KEYWORDS = frozenset(
    {"label", "help_text", "verbose_name", "empty_label", "error_messages", "subject"}
)
_PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdifr]|\{[^{}]*\}|<[^<>]*>")
_LETTER = re.compile(r"[^\W\d_]")
# A code: lower-case words joined by . : / - (no sentence punctuation), or a CONSTANT_NAME.
_CODE = re.compile(r"^(?:/?[a-z0-9_]+(?:[.:/#@-][a-z0-9_*?]+)*/?|[A-Z0-9_]+)$")
# Functions whose arguments are formats or names, not words: `date_format(d, "j M Y")`.
NOT_WORDS_FUNCTIONS = frozenset(
    {"date_format", "time_format", "strftime", "reverse", "getattr", "getLogger", "Q", "F"}
)


def is_words(text: str) -> bool:
    """Whether a literal holds words for people (not a code, a path or only placeholders)."""
    stripped = _PLACEHOLDER.sub(" ", text).strip()
    return bool(_LETTER.search(stripped)) and not _CODE.match(stripped)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def marked_messages(source: str) -> list[tuple[str | None, str, str | None]]:
    """The (context, msgid, msgid_plural) a module marks for translation, in source order."""
    found: list[tuple[tuple[int, int], tuple[str | None, str, str | None]]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _name(node.func) not in GETTEXT:
            continue
        ctx_at, id_at, plural_at = GETTEXT[_name(node.func)]
        args = node.args

        def arg(index: int | None, args: list[ast.expr] = args) -> str | None:
            return _literal(args[index]) if index is not None and index < len(args) else None

        msgid = arg(id_at)
        if msgid:
            found.append(((node.lineno, node.col_offset), (arg(ctx_at), msgid, arg(plural_at))))
    return [message for _, message in sorted(found)]


def derived_exceptions(sources: Iterable[str]) -> dict[str, tuple[int, str]]:
    """SHOWN_EXCEPTIONS plus every class the sources derive from one of them (directly or not);
    a subclass keeps its base's signature (`class LinkUsed(StateConflict)`)."""
    bases: dict[str, list[str]] = {}
    own_init: set[str] = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [_name(b) for b in node.bases]
                if any(isinstance(f, ast.FunctionDef) and f.name == "__init__" for f in node.body):
                    own_init.add(node.name)
    shown = dict(SHOWN_EXCEPTIONS)
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            if name in shown:
                continue
            inherited = next((shown[p] for p in parents if p in shown), None)
            # A subclass with its own __init__ (StaleVersion) builds its message inside: checked
            # there through its super().__init__ call, not at every raise.
            if inherited is not None and name not in own_init:
                shown[name] = inherited
                changed = True
            elif inherited is not None:
                shown[name] = (-1, "")  # a shown exception, but nothing to check at a raise
                changed = True
    return shown


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield node


def _assignments(scope: ast.AST) -> dict[str, list[ast.expr]]:
    """Values assigned to each plain name directly in `scope` (not in nested functions)."""
    found: dict[str, list[ast.expr]] = {}
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
                # `errors["field"] = "..."; raise ValidationError(errors)`: an item stored in a
                # local dict is shown when the dict is.
                elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    found.setdefault(target.value.id, []).append(node.value)
        elif (
            isinstance(node, ast.AnnAssign | ast.AugAssign)
            and node.value is not None
            and isinstance(node.target, ast.Name)
        ):
            found.setdefault(node.target.id, []).append(node.value)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _parameters(scope: ast.AST) -> set[str]:
    if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return set()
    a = scope.args
    every = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, [a.vararg, a.kwarg])]
    return {p.arg for p in every}


class _Finder:
    def __init__(
        self, tree: ast.Module, exceptions: dict[str, tuple[int, str]], keywords: frozenset[str]
    ) -> None:
        self.exceptions = exceptions
        self.keywords = keywords
        self.found: set[tuple[int, str]] = set()
        # Each node's innermost function (or the module), to follow a name to its assignment.
        self.scope_of: dict[int, ast.AST] = {}
        self.names: dict[int, dict[str, list[ast.expr]]] = {}
        for scope in _scopes(tree):
            self.names[id(scope)] = _assignments(scope)
            for node in ast.walk(scope):
                self.scope_of[id(node)] = scope  # inner scopes come later and win
        self.module = tree

    def shown(self, node: ast.expr, seen: frozenset[str] = frozenset()) -> None:
        """Report the bare words inside `node`, an expression people will read."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str) and is_words(node.value):
                self.found.add((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(
                str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values
            )
            if is_words(text):
                self.found.add((node.lineno, f"f{text!r}"))
        elif isinstance(node, ast.Call):
            if _name(node.func) in GETTEXT:
                return  # translated (its argument is checked by `gettext_arguments`)
            if _name(node.func) in NOT_WORDS_FUNCTIONS:
                return
            if _name(node.func) == "format" and isinstance(node.func, ast.Attribute):
                self.shown(node.func.value, seen)
            for child in [*node.args, *(k.value for k in node.keywords if k.arg != "code")]:
                self.shown(child, seen)
        elif isinstance(node, ast.Name):
            if node.id in seen:
                return
            scope = self.scope_of.get(id(node), self.module)
            values = self.names[id(scope)].get(node.id, [])
            if not values and node.id not in _parameters(scope):
                values = self.names[id(self.module)].get(node.id, [])
            for value in values:
                self.shown(value, seen | {node.id})
        elif isinstance(node, ast.Dict):
            for value in node.values:
                self.shown(value, seen)
        elif isinstance(node, ast.BinOp):
            self.shown(node.left, seen)
            self.shown(node.right, seen)
        elif isinstance(node, ast.IfExp):
            self.shown(node.body, seen)
            self.shown(node.orelse, seen)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.shown(value, seen)
        elif isinstance(node, ast.List | ast.Tuple | ast.Set):
            for item in node.elts:
                self.shown(item, seen)
        elif isinstance(node, ast.Subscript | ast.Starred):
            self.shown(node.value, seen)

    def call(self, node: ast.Call, cls: str) -> None:
        name = _name(node.func)
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        receiver_name = _name(receiver) if receiver is not None else ""
        if (
            name == "__init__"
            and isinstance(receiver, ast.Call)
            and _name(receiver.func) == "super"
        ):
            if cls in self.exceptions:
                self._argument(node, 0, "message")  # Exception(message): what str() shows
        elif name in self.exceptions:
            index, keyword = self.exceptions[name]
            self._argument(node, index, keyword)
        elif name in MESSAGE_FUNCTIONS and receiver_name == "messages":
            self._argument(node, MESSAGE_FUNCTIONS[name], "message")
        elif name == "add_message" and receiver_name == "messages":
            self._argument(node, 2, "message")
        elif name == "add_error":
            self._argument(node, 1, "error")
        elif name == "require":
            # brm.core.roles.require(allowed, message): raises ForbiddenAction(message), a 403.
            self._argument(node, 1, "message")
        elif name in GETTEXT:
            # gettext(variable) of a message marked elsewhere (gettext_noop) is fine; an
            # f-string, a sum or a .format() is a message makemessages cannot extract.
            _, at, _ = GETTEXT[name]
            message = node.args[at] if at < len(node.args) else None
            if isinstance(message, ast.JoinedStr | ast.BinOp) or (
                isinstance(message, ast.Call) and _name(message.func) == "format"
            ):
                self.found.add((node.lineno, f"{name}() of a built string: not extracted"))
        for given in node.keywords:
            if given.arg in self.keywords:
                self.shown(given.value)

    def _argument(self, node: ast.Call, index: int, keyword: str) -> None:
        if 0 <= index < len(node.args):
            self.shown(node.args[index])
        for k in node.keywords:
            if k.arg == keyword:
                self.shown(k.value)

    def dict_detail(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            # A dict under "detail" is a schema's description of the field, not the message.
            if _literal(key) == "detail" and not isinstance(value, ast.Dict):
                self.shown(value)


def untranslated_sinks(
    source: str, exceptions: dict[str, tuple[int, str]] | None = None, *, api: bool = False
) -> list[tuple[int, str]]:
    """The bare English a module gives people, as [(line, text)] in source order. With `api`
    (a module of the REST API), `help_text=`/`label=` are the schema's documentation for
    integrators, written in English like the API's names, and not checked; its errors are."""
    tree = ast.parse(source)
    keywords = SHOWN_KEYWORDS - {"help_text", "label"} if api else SHOWN_KEYWORDS
    finder = _Finder(tree, exceptions if exceptions is not None else SHOWN_EXCEPTIONS, keywords)
    # Each node with the class it is written in ("" outside classes), for super().__init__.
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, cls = stack.pop()
        if isinstance(node, ast.ClassDef):
            cls = node.name
        if isinstance(node, ast.Call):
            finder.call(node, cls)
        elif isinstance(node, ast.Dict):
            finder.dict_detail(node)
        stack.extend((child, cls) for child in ast.iter_child_nodes(node))
    return sorted(finder.found)
