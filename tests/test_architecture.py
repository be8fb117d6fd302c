"""The layering of docs/architecture.md holds: no import cycle anywhere in the project.

``lint-imports`` (CI) checks the contracts in pyproject.toml, including no cycles between the
modules of one app; this test checks the whole graph, across apps too, counting imports inside
functions (a function-local import used to dodge a cycle is still a cycle)."""

import sys

import grimp
from django.conf import settings

PACKAGES = [
    "rma_portal",
    "accounts",
    "warranty",
    "claims",
    "notifications",
    "partner_api",
    "portal",
    "analytics",
]


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's components of more than one module: each is an import cycle."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(module: str) -> None:
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_there_is_no_import_cycle_in_the_project():
    sys.path.insert(0, str(settings.BASE_DIR))
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)

    assert strongly_connected(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")

    assert strongly_connected(graph) == [{"a.x", "a.y"}]
