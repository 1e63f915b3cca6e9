"""The layout holds: no import cycles, the core and the handlers import only what is below them, and no
folder grows past what a reader takes in at a glance.

Imports are read from the source with `ast`, deferred ones (inside functions, under TYPE_CHECKING)
included: a cycle hidden in a function is still a cycle a reader has to untangle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("bot", "handlers", "db")
MAX_MODULES = 12  # per folder, besides __init__.py
# The migrations are a history, one file a step, read in order by Alembic rather than by people.
HISTORY = ("db/migrations/versions",)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for root in PRODUCT for p in sorted((ROOT / root).rglob("*.py"))}


MODULES = _modules()


def _imported(name: str, path: Path) -> Iterator[str]:
    """Every name an import in the module mentions (a module, or a name imported from one)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _product_module(name: str) -> str | None:
    """The product module an imported name lives in (`bot.core.messages.Reply` -> `bot.core.messages`)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        found = {_product_module(t) for t in _imported(name, path)}
        graph[name] = {m for m in found if m is not None and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_between_product_modules() -> None:
    assert _cycles(_graph()) == []


def _imports_of(prefix: str) -> Iterator[tuple[str, str]]:
    for name, path in MODULES.items():
        if name == prefix or name.startswith(prefix + "."):
            for target in _imported(name, path):
                yield name, target


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


MESSENGERS = ("aiogram", "twilio")
MACHINERY = ("bot.runtime", "bot.app", "bot.web", "bot.scheduler")
FORBIDDEN = {
    # The core knows messages, contexts, routes and what handlers may use; nothing that runs it.
    "bot.core": ("bot.queues", "bot.channels", "bot.services", "handlers", *MACHINERY),
    # Handlers speak neutral messages: no messenger library, no queue, no channel, no machinery.
    "handlers": (*MESSENGERS, "bot.queues", "bot.channels", *MACHINERY),
    # Services hold the rules: no web server, no messenger, no channel, no handler, no machinery.
    "bot.services": ("aiohttp", *MESSENGERS, "bot.channels", "handlers", *MACHINERY),
}


@pytest.mark.parametrize(("layer", "forbidden"), FORBIDDEN.items())
def test_a_layer_imports_nothing_above_it(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = sorted(
        {f"{name} imports {target}" for name, target in _imports_of(layer) if _within(target, forbidden)}
    )
    assert wrong == []


def test_no_product_folder_holds_more_than_twelve_modules() -> None:
    crowded = {}
    for root in PRODUCT:
        for folder in [ROOT / root, *(p for p in (ROOT / root).rglob("*") if p.is_dir())]:
            modules = [p.name for p in folder.glob("*.py") if p.name != "__init__.py"]
            if len(modules) > MAX_MODULES and str(folder.relative_to(ROOT)) not in HISTORY:
                crowded[str(folder.relative_to(ROOT))] = len(modules)
    assert crowded == {}
