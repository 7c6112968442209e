"""The three floors hold: imports point down, nothing hides an import in a function, no circles.

Read from the source with `ast` (nothing is imported), so a new module is checked the moment it
exists. The floors (README "Project layout"):

- kernel `brm.core`: imports no business app, no health, no project wiring;
- business apps: never import `brm.health` or the project wiring (`brm.urls`, `brm.views` ...);
  the register (`stakeholders`) imports no workflow app;
- relationship health `brm.health`: imports business apps only through their `selectors`
  (and, for writes, their `services`), never their models;
- integration `brm.webhooks` (top, beside health): hears business events through the kernel
  (`brm.core.events`), so nothing below imports it; only the project wiring does;
- integration `brm.imports` (top): bulk import writes through the register's services and
  reads its models for natural keys only (`stakeholders.models` as health may);
- global search `brm.search` (project floor) reads business apps only through their selectors;
- the project wiring may import everything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUSINESS = ("stakeholders", "reviews", "complaints", "portfolio", "satisfaction")
WORKFLOWS = ("reviews", "complaints", "portfolio", "satisfaction")
PACKAGES = ("brm", *BUSINESS)
# A function-level import is allowed only with its reason on the line: "# lazy import: <why>".
LAZY_MARK = "lazy import:"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield _module_name(path), path


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(module: str, path: Path) -> Iterator[tuple[str, int, bool, str]]:
    """(imported module, line, inside a function, source line) for every import statement."""
    tree = ast.parse(path.read_text(), str(path))
    lines = path.read_text().splitlines()
    type_checking: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_checking.update(id(child) for child in ast.walk(node))

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[str, int, bool, str]]:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if id(child) in type_checking:
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, in_function, _with_comment(lines, child)
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(module, path, child)
                for alias in child.names:
                    full = f"{target}.{alias.name}"
                    yield (
                        full if _is_module(full) else target,
                        child.lineno,
                        in_function,
                        _with_comment(lines, child),
                    )
            yield from visit(child, nested)

    yield from visit(tree, False)


def _with_comment(lines: list[str], node: ast.stmt) -> str:
    """The import's source with the comment line just above it, where a reason is written."""
    above = lines[node.lineno - 2] if node.lineno > 1 else ""
    return (above if above.strip().startswith("#") else "") + "\n" + lines[node.lineno - 1]


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _ours(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def _floor(module: str) -> str:
    if module == "brm.core" or module.startswith("brm.core."):
        return "kernel"
    if module == "brm.health" or module.startswith("brm.health."):
        return "health"
    if module.split(".")[:2] in (["brm", "webhooks"], ["brm", "imports"]):
        return "integration"
    if module.split(".")[0] == "brm":
        return "project"
    return module.split(".")[0]


EDGES = [
    (module, target, line, in_function, text)
    for module, path in _sources()
    for target, line, in_function, text in _imports(module, path)
    if _ours(target)
]


def test_it_finds_the_code_it_checks() -> None:
    modules = {m for m, *_ in EDGES}
    assert {"brm.core.roles", "stakeholders.models", "brm.health.engine"} <= modules


def test_the_kernel_imports_no_business_app_and_nothing_above_it() -> None:
    wrong = [
        f"{m}:{line} imports {t}"
        for m, t, line, _, _ in EDGES
        if _floor(m) == "kernel" and _floor(t) != "kernel"
    ]
    assert wrong == []


def test_no_business_app_imports_health_or_the_project_wiring() -> None:
    wrong = [
        f"{m}:{line} imports {t}"
        for m, t, line, _, _ in EDGES
        if _floor(m) in BUSINESS and _floor(t) in {"health", "integration", "project"}
    ]
    assert wrong == []


def test_only_the_project_wiring_imports_the_integration_floor() -> None:
    # Business apps publish events through the kernel (brm.core.events); the webhooks app
    # listens. Neither the kernel, a business app nor health may know that webhooks exist.
    wrong = [
        f"{m}:{line} imports {t}"
        for m, t, line, _, _ in EDGES
        if _floor(t) == "integration" and _floor(m) not in {"integration", "project"}
    ]
    assert wrong == []


def test_the_register_knows_no_workflow() -> None:
    wrong = [
        f"{m}:{line} imports {t}"
        for m, t, line, _, _ in EDGES
        if _floor(m) == "stakeholders" and _floor(t) in WORKFLOWS
    ]
    assert wrong == []


# What an app exports to the floor above: query functions (selectors), writes (services), who may
# act (permissions) and the forms and filters of its inputs. The register's units are what health
# is about (a page is scoped to a unit), so `stakeholders.models` is allowed too; every other
# business fact comes through query functions, never another app's models or status strings.
EXPORTS = ("selectors", "services", "permissions", "forms", "filters", "stakeholders.models")


@pytest.mark.parametrize("allowed", [EXPORTS])
def test_health_reads_business_apps_only_through_their_query_functions(
    allowed: tuple[str, ...],
) -> None:
    wrong = [
        f"{m}:{line} imports {t}"
        for m, t, line, _, _ in EDGES
        if _floor(m) == "health"
        and _floor(t) in BUSINESS
        and not any(t == part or t.startswith(part + ".") or f".{part}" in t for part in allowed)
    ]
    assert wrong == []


def test_bulk_import_writes_business_apps_only_through_their_services() -> None:
    wrong = [
        f"{m}:{line} imports {t}"
        for m, t, line, _, _ in EDGES
        if m.startswith("brm.imports")
        and _floor(t) in BUSINESS
        and not any(t == part or t.startswith(part + ".") or f".{part}" in t for part in EXPORTS)
    ]
    assert wrong == []


def test_people_data_reaches_business_apps_only_through_their_privacy_modules() -> None:
    # brm.privacy (project floor) asks each app for its part of a person's data; an app's
    # `privacy` module reads its own models and the kernel's shapes (brm.core.privacy).
    wrong = [
        f"{m}:{line} imports {t}"
        for m, t, line, _, _ in EDGES
        if m.startswith("brm.privacy")
        and _floor(t) in BUSINESS
        and not (t.endswith(".privacy") or t.endswith(".admin") or t == "stakeholders.models")
    ]
    assert wrong == []


def test_global_search_reads_business_apps_only_through_their_selectors() -> None:
    # brm.search (project floor) combines what each app's search selector lets a user find; it
    # never queries another app's models itself, so scope and hidden fields stay the app's rule.
    wrong = [
        f"{m}:{line} imports {t}"
        for m, t, line, _, _ in EDGES
        if m.startswith("brm.search")
        and _floor(t) in BUSINESS
        and not (t.endswith(".selectors") or ".selectors." in t)
    ]
    assert wrong == []


def test_no_import_hides_in_a_function_without_its_reason() -> None:
    hidden = [
        f"{m}:{line} imports {t}"
        for m, t, line, in_function, text in EDGES
        if in_function and LAZY_MARK not in text
    ]
    assert hidden == []


def test_there_is_no_import_circle() -> None:
    graph: dict[str, set[str]] = {}
    for m, t, _, in_function, _ in EDGES:
        if not in_function and t != m:
            graph.setdefault(m, set()).add(t)
    # Tarjan's strongly connected components: any component with more than one module is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in list(graph):
        if node not in index:
            connect(node)
    assert circles == []
