"""The layers of STYLE.md, enforced over every import in the package (lazy, ``TYPE_CHECKING``).

* the core (configuration, cache key, lifecycle, model, ports, errors, the hook's flow, the
  maintainers' service) imports no adapter, command, TUI, demo or composition module, and no
  third-party client;
* botocore, boto3, docker and requests only under ``adapters/`` and ``demo/``; moto only under
  ``demo/``; textual and rich only under ``tui/``;
* no import cycle anywhere in the package, and none between its subpackages (``cachekey`` ⇄
  ``config`` counts, lazy and ``TYPE_CHECKING`` imports included);
* ``ports`` imports nothing from ``hook``;
* adapters are composed only in ``wiring`` (and import each other): the commands and the demo
  ask ``wiring``;
* no function in the package is over :data:`MAX_FUNCTION_LINES` lines;
* an import inside a function (one that start-up time requires) says why: a ``# lazy: <reason>``
  comment on its line or just above its group of imports.

The rules read the source (:func:`imports_of`), so a violation fails here before it runs; the
last test imports the core in a fresh interpreter and looks at ``sys.modules``, as Harlequin does.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ecr_cache_tui"
NAME = "ecr_cache_tui"

CORE = (
    "ecr_cache_tui.config",
    "ecr_cache_tui.cachekey",
    "ecr_cache_tui.lifecycle",
    "ecr_cache_tui.model",
    "ecr_cache_tui.ports",
    "ecr_cache_tui.errors",
    "ecr_cache_tui.figures",
    "ecr_cache_tui.health",
    "ecr_cache_tui.hook",
    "ecr_cache_tui.service",
)
NOT_FOR_CORE = (
    "ecr_cache_tui.adapters",
    "ecr_cache_tui.commands",
    "ecr_cache_tui.tui",
    "ecr_cache_tui.demo",
    "ecr_cache_tui.wiring",
    "ecr_cache_tui.cli",
)
#: Third-party packages and where they may be imported.
CONFINED = {
    "botocore": ("ecr_cache_tui.adapters", "ecr_cache_tui.demo"),
    "boto3": ("ecr_cache_tui.adapters", "ecr_cache_tui.demo"),
    "docker": ("ecr_cache_tui.adapters",),
    "requests": ("ecr_cache_tui.adapters",),
    "moto": ("ecr_cache_tui.demo",),
    "mypy_boto3_ecr": ("ecr_cache_tui.adapters", "ecr_cache_tui.demo"),
    "textual": ("ecr_cache_tui.tui",),
    "rich": ("ecr_cache_tui.tui",),
}


#: Who may import what, beyond the core's rule: ``(importer prefixes, imported prefixes, why)``.
FORBIDDEN = (
    (("ecr_cache_tui.ports",), ("ecr_cache_tui.hook",), "ports imports nothing from hook"),
)
#: Only these import adapters: the composition module, and the adapters themselves.
COMPOSERS = ("ecr_cache_tui.wiring", "ecr_cache_tui.adapters")
#: The longest a function of the package may be (``end_lineno - lineno``).
MAX_FUNCTION_LINES = 80


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def imports_of(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports, anywhere in the file (``(line, dotted name)``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            # ``from pkg import mod`` imports the submodule pkg.mod when there is one.
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def internal_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        for _, target in imports_of(path, module):
            if target in known and target != module:
                graph[module].add(target)
    return graph


def violations(package: Path = PACKAGE) -> list[str]:
    found = []
    for module, path in modules(package).items():
        core = within(module, CORE)
        for line, target in imports_of(path, module):
            where = f"{path.relative_to(package.parent)}:{line}: {module} imports {target}"
            if core and within(target, NOT_FOR_CORE):
                found.append(f"{where} (the core imports no adapter, command, TUI or demo)")
            for importers, imported, why in FORBIDDEN:
                if within(module, importers) and within(target, imported):
                    found.append(f"{where} ({why})")
            if within(target, ("ecr_cache_tui.adapters",)) and not within(module, COMPOSERS):
                found.append(f"{where} (adapters are composed only in wiring)")
            top = target.split(".")[0]
            allowed = CONFINED.get(top)
            if allowed is not None and not within(module, allowed):
                found.append(f"{where} ({top} belongs only in {', '.join(allowed)})")
    return sorted(set(found))


def subpackage(name: str) -> str:
    """``ecr_cache_tui.X`` of any ``ecr_cache_tui.X.y.z`` (a subpackage or a top-level module)."""
    return ".".join(name.split(".")[:2])


def package_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Which subpackage imports which, through any import of any of its modules."""
    known = modules(package)
    nodes = {subpackage(m) for m in known if m != NAME}
    graph: dict[str, set[str]] = {n: set() for n in nodes}
    for module, path in known.items():
        if module == NAME:
            continue
        source = subpackage(module)
        for _, target in imports_of(path, module):
            node = subpackage(target)
            if node in nodes and node != source:
                graph[source].add(node)
    return graph


def long_functions(package: Path = PACKAGE) -> list[str]:
    found = []
    for module, path in modules(package).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{module}.{node.name}: {length} lines")
    return sorted(found)


#: Lines that may stand between a function-local import and its ``# lazy:`` comment: other
#: imports of the group, their continuation lines and comments.
_IMPORT_GROUP = re.compile(r"^\s*(from |import |#|\)|[A-Za-z_][A-Za-z0-9_ ,]*,?\s*$)")


def unexplained_lazy_imports(package: Path = PACKAGE) -> list[str]:
    found = []
    for module, path in modules(package).items():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        local = {
            node.lineno
            for function in ast.walk(ast.parse(text, str(path)))
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(function)
            if isinstance(node, (ast.Import, ast.ImportFrom))
        }
        for line in sorted(local):
            above = line - 1
            group = [lines[above]]
            while above > 0 and lines[above - 1].strip() and _IMPORT_GROUP.match(lines[above - 1]):
                above -= 1
                group.append(lines[above])
            if not any("# lazy:" in seen for seen in group):
                found.append(f"{module}:{line}: {lines[line - 1].strip()}")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def test_the_rules_hold_for_every_import_in_the_package() -> None:
    assert violations() == []


def test_there_is_no_import_cycle_in_the_package() -> None:
    # A package's __init__ importing its own modules is not a cycle of the design: only edges
    # from a module to another package's __init__ (or between modules) are followed.
    graph = internal_graph()
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    assert cycles(graph) == []


def test_there_is_no_import_cycle_between_subpackages() -> None:
    assert cycles(package_graph()) == []


def test_no_function_is_over_80_lines() -> None:
    assert long_functions() == []


def test_every_function_local_import_says_why() -> None:
    assert unexplained_lazy_imports() == []


def test_a_deliberate_unexplained_lazy_import_is_caught(tmp_path: Path) -> None:
    package = copy_package(tmp_path)
    probe = package / "hook" / "_lazy_probe.py"
    probe.write_text("def f():\n    # lazy: a reason\n    import json\n", encoding="utf-8")
    assert unexplained_lazy_imports(package) == []
    probe.write_text("def f():\n    import json\n", encoding="utf-8")
    assert unexplained_lazy_imports(package) == ["ecr_cache_tui.hook._lazy_probe:2: import json"]


def copy_package(tmp_path: Path) -> Path:
    # In a copy of the package: a probe in the real one would be seen by tests running
    # alongside (pytest-xdist) and by anything importing the package meanwhile.
    package = tmp_path / PACKAGE.name
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    return package


@pytest.mark.parametrize(
    "source",
    [
        "from ecr_cache_tui.config import PluginConfig\n",
        "def f():\n    from ecr_cache_tui.config.plugin_config import PluginConfig\n",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ecr_cache_tui import config\n",
    ],
)
def test_a_deliberate_subpackage_cycle_is_caught(source: str, tmp_path: Path) -> None:
    package = copy_package(tmp_path)
    (package / "cachekey" / "_cycle_probe.py").write_text(source, encoding="utf-8")
    assert ["ecr_cache_tui.cachekey", "ecr_cache_tui.config"] in cycles(package_graph(package))


def test_a_deliberate_long_function_is_caught(tmp_path: Path) -> None:
    package = copy_package(tmp_path)
    probe = package / "hook" / "_long_probe.py"
    body = "".join(f"    x = {i}\n" for i in range(MAX_FUNCTION_LINES))
    probe.write_text(f"def f():\n{body}", encoding="utf-8")
    assert long_functions(package) == []  # 80 lines: allowed
    probe.write_text(f"def f():\n{body}    y = 0\n", encoding="utf-8")
    assert long_functions(package) == ["ecr_cache_tui.hook._long_probe.f: 81 lines"]


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        ("ports.py", "from ecr_cache_tui.hook.host import x\n", "ports imports nothing from hook"),
        (
            "ports.py",
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from ecr_cache_tui import hook\n",
            "ports imports nothing from hook",
        ),
        (
            "commands/_layer_probe_violation.py",
            "def f():\n    from ecr_cache_tui.adapters.ecr import Ecr\n",
            "adapters are composed only in wiring",
        ),
        (
            "demo/_layer_probe_violation.py",
            "from ecr_cache_tui.adapters import aws\n",
            "adapters are composed only in wiring",
        ),
    ],
)
def test_a_deliberate_composition_violation_is_caught(
    where: str, source: str, expected: str, tmp_path: Path
) -> None:
    package = copy_package(tmp_path)
    target = package / where
    if target.exists():
        source = target.read_text(encoding="utf-8") + "\n" + source
    target.write_text(source, encoding="utf-8")
    stem = Path(where).with_suffix("").as_posix().replace("/", ".")
    found = violations(package)
    assert any(f"ecr_cache_tui.{stem} imports" in v and expected in v for v in found), found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from ecr_cache_tui.adapters.ecr import Ecr\n", "the core imports no adapter"),
        ("def f():\n    import botocore.session\n", "botocore belongs only in"),
        (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from ecr_cache_tui.tui.app import A\n",
            "the core imports no adapter",
        ),
        ("from textual.app import App\n", "textual belongs only in"),
    ],
)
def test_a_deliberate_violation_is_caught(
    source: str, expected: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # In a copy of the package: a probe in the real one would be seen by tests running
    # alongside (pytest-xdist) and by anything importing the package meanwhile.
    package = tmp_path / PACKAGE.name
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "hook" / "_layer_probe_violation.py").write_text(source, encoding="utf-8")
    found = violations(package)
    assert any("_layer_probe_violation" in v and expected in v for v in found), found


def test_a_deliberate_cycle_is_caught() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_importing_the_core_loads_no_client_and_no_screen() -> None:
    core = [m for m in modules() if within(m, CORE)]
    code = (
        "import importlib, sys\n"
        f"for m in {core!r}: importlib.import_module(m)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in "
        f"{sorted(CONFINED)!r} or n.startswith({NOT_FOR_CORE!r}))\n"
        "print('\\n'.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == []
