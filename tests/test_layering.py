"""Layering: data flows config -> core -> env -> agents -> benchmarks, never back.

Every ``.py`` file under ``splitplace_env/``, ``agents/`` and ``benchmarks/`` is
parsed with ``ast``; every ``import``/``from ... import`` anywhere in it (module
level or inside functions, relative ones resolved) is checked against the rules
below. Lazy imports count: a function-level import is still an arrow back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("splitplace_env", "agents", "benchmarks")

#: (package prefix of the importing module, forbidden module prefixes, why).
RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("splitplace_env.core", ("torch", "gymnasium", "splitplace_env.nets", "splitplace_env.env", "agents",
                             "benchmarks"),
     "the core is pure numpy/numba; live inference is handed in by the env as an accuracy function"),
    ("splitplace_env", ("agents", "benchmarks"), "the environment knows no policy and no experiment"),
    ("agents", ("benchmarks",), "agents are used by benchmarks, not the other way round"),
)


def module_name(path: Path, root: Path = ROOT) -> str:
    """Dotted module name of ``path`` relative to ``root`` (``pkg/__init__.py`` -> ``pkg``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, absolute module)`` for every import in ``source``, anywhere in the tree.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule),
    so a rule on ``a.b`` catches it. ``importlib.import_module("a.b")`` and
    ``__import__("a.b")`` with a literal name count too (string entry points).

    Args:
        source: Python source text.
        module: dotted name of the module the source belongs to (resolves relative imports).
        is_package: whether the source is a package's ``__init__.py``.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - node.level + 1]  # level 1 is the package itself
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names if alias.name != "*"]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not arg.value.startswith("."):
                found.append((node.lineno, arg.value))
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in ("import_module", "__import__")


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(source: str, module: str, location: str, is_package: bool = False,
               rules: tuple[tuple[str, tuple[str, ...], str], ...] = RULES) -> list[str]:
    """``"location:line: imports X (...)"`` for every import of ``source`` one of ``rules`` forbids."""
    out: list[str] = []
    for importer, forbidden, why in rules:
        if not _within(module, importer):
            continue
        seen: set[tuple[int, str]] = set()
        for line, name in imported_modules(source, module, is_package):
            bad = next((f for f in forbidden if _within(name, f)), None)
            if bad is not None and (line, bad) not in seen:
                seen.add((line, bad))  # `from benchmarks.x import y` is one offence, not two
                out.append(f"{location}:{line}: imports {name} ({importer} must not import {bad}: {why})")
    return out


def _files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_every_package_is_scanned() -> None:
    files = _files()
    for package in PACKAGES:  # an empty scan would pass every rule vacuously
        assert any(module_name(p).split(".")[0] == package for p in files), package


# One test per rule so a report names the layer that broke.
@pytest.mark.parametrize("rule", RULES, ids=[r[0] for r in RULES])
def test_no_import_points_back(rule: tuple[str, tuple[str, ...], str]) -> None:
    found: list[str] = []
    for path in _files():
        found += violations(path.read_text(encoding="utf-8"), module_name(path), str(path.relative_to(ROOT)),
                            is_package=path.name == "__init__.py", rules=(rule,))
    assert not found, "layering violations:\n" + "\n".join(found)


@pytest.mark.parametrize("source, module, expected", [
    ("from benchmarks.table1 import run_table1\n", "agents.rl.evaluate", "benchmarks"),
    ("def f():\n    import benchmarks.table1\n", "agents.rl.evaluate", "benchmarks"),
    ("def f():\n    from splitplace_env.nets.live import LiveInference\n", "splitplace_env.core.engine",
     "splitplace_env.nets"),
    ("from ..nets import live\n", "splitplace_env.core.engine", "splitplace_env.nets"),
    ("from .. import env\n", "splitplace_env.core.engine", "splitplace_env.env"),
    ("import torch.nn as nn\n", "splitplace_env.core.kernels", "torch"),
    ("import gymnasium\n", "splitplace_env.core.engine", "gymnasium"),
    ("from agents.registry import make_agent\n", "splitplace_env.wrappers", "agents"),
    ("import importlib\nm = importlib.import_module('benchmarks.table1')\n", "agents.rl.train", "benchmarks"),
])
def test_checker_catches_a_violation(source: str, module: str, expected: str) -> None:
    found = violations(source, module, "x.py")
    assert found and all(f"must not import {expected}:" in f for f in found), found
    assert found[0].startswith("x.py:")


@pytest.mark.parametrize("source, module", [
    ("import numpy\nfrom splitplace_env.core import engine\n", "splitplace_env.env"),
    ("from agents.rl.curves import plot_learning_curve\n", "benchmarks.rl_evaluate"),
    ("from splitplace_env.nets.live import LiveInference\n", "splitplace_env.env"),  # env may hand it in
    ("from .metrics import reward\n", "splitplace_env.core.engine"),
    ("import benchmarks_extra\n", "agents.base"),  # a prefix match is not a package match
])
def test_checker_allows_downward_imports(source: str, module: str) -> None:
    assert violations(source, module, "x.py") == []


def test_checker_reads_a_file_under_agents(tmp_path) -> None:
    path = tmp_path / "agents" / "rl" / "evaluate.py"
    path.parent.mkdir(parents=True)
    path.write_text("import csv\n\n\ndef evaluate():\n    from benchmarks.table1 import run_table1\n")
    found = violations(path.read_text(), module_name(path, tmp_path), "agents/rl/evaluate.py")
    assert len(found) == 1 and found[0].startswith("agents/rl/evaluate.py:5: imports benchmarks.table1"), found


def test_relative_imports_resolve() -> None:
    assert (1, "splitplace_env.nets") in imported_modules("from ..nets import live\n", "splitplace_env.core.engine")
    assert (1, "splitplace_env.core.metrics") in imported_modules("from .metrics import x\n",
                                                                  "splitplace_env.core", is_package=True)
