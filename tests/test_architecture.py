"""The tree is core, then adapters: the core imports no adapter and no web, Twilio or database package;
the CLI does not import the web layer; lower layers never import higher ones; no cycle, not even inside a
function."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def module_name(path: Path) -> str:
    """app/web/voice.py -> app.web.voice; app/web/__init__.py -> app.web."""
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each module of app/ -> the modules of app/ it imports anywhere in its code."""
    files = {module_name(path): path for path in APP.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")
                base = base[: len(base) - node.level + 1] if node.level else []
                source = ".".join([*base, *([node.module] if node.module else [])])
                # `from package import submodule` depends on the submodule; `from module import name` on the module.
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in files else source for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in files and t != name}
    return graph


def outside_imports() -> dict[str, set[str]]:
    """Each module of app/ -> the top-level packages outside app/ it imports anywhere in its code."""
    found: dict[str, set[str]] = {}
    for path in APP.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
        found[module_name(path)] = names - {"app"}
    return found


# Packages that only adapters may use: the web, Twilio, the database, audio, charts, the command line.
ADAPTER_PACKAGES = {"flask", "werkzeug", "click", "twilio", "sqlalchemy", "alembic", "psycopg", "requests",
                    "urllib3", "pyttsx3", "pygal", "gunicorn", "dotenv"}
# Layers, lowest first: a module may import its own layer and lower ones, never a higher one.
LAYERS = [
    ("app.core",),
    ("app.config", "app.store", "app.sender", "app.preview", "app.phone", "app.report"),
    ("app.services",),
    ("app.web", "app.cli"),
    ("app.factory", "app"),
]


def layer_of(module: str) -> int:
    """The index in LAYERS of the layer a module belongs to (its longest matching prefix)."""
    best = (-1, -1)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), index)
    assert best[1] >= 0, f"{module} belongs to no layer: add it to LAYERS"
    return best[1]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as the list of modules around it, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_finder_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_knows_the_app():
    graph = import_graph()
    assert "app.services" in graph["app.web.voice"]
    assert "app.core.callflow" in graph["app.services"]
    assert "flask" in outside_imports()["app.web.voice"]


def test_the_core_imports_no_adapter_and_no_adapter_package():
    graph, outside = import_graph(), outside_imports()
    core = [m for m in graph if m.startswith("app.core")]
    assert len(core) > 20
    for module in core:
        assert all(t.startswith("app.core") for t in graph[module]), (module, graph[module])
        assert not outside[module] & ADAPTER_PACKAGES, (module, outside[module] & ADAPTER_PACKAGES)


def test_loading_the_whole_core_loads_no_adapter_package():
    core = sorted(m for m in import_graph() if m.startswith("app.core"))
    code = f"import sys; import {', '.join(core)}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    run = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = set(run.stdout.split())
    assert "app" in loaded
    assert not loaded & ADAPTER_PACKAGES, loaded & ADAPTER_PACKAGES


def test_the_command_line_does_not_import_the_web_layer():
    graph = import_graph()
    for module in (m for m in graph if m.startswith("app.cli")):
        assert not any(t.startswith("app.web") for t in graph[module]), (module, graph[module])


def test_no_module_imports_a_higher_layer():
    for module, targets in import_graph().items():
        for target in targets:
            assert layer_of(target) <= layer_of(module), f"{module} (layer {layer_of(module)}) imports {target}"


def test_the_layer_rule_sees_a_wrong_way_import():
    assert layer_of("app.core.callflow") < layer_of("app.store.outbox") < layer_of("app.web.voice")


def test_app_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])
