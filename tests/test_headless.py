"""The headless core never imports textual (as Harlequin checks): the hook path stays lean."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import ecr_cache_tui

# The TUI, and the command that starts it, are the only places allowed to import textual.
TUI_MODULES = ("ecr_cache_tui.tui", "ecr_cache_tui.commands.tui")


def _headless_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(ecr_cache_tui.__path__, "ecr_cache_tui.")
        if not info.name.startswith(TUI_MODULES)
    ]
    return sorted(names)


def _imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_there_is_a_headless_core_to_check() -> None:
    modules = _headless_modules()
    assert "ecr_cache_tui.errors" in modules
    assert "ecr_cache_tui.cachekey.inputs" in modules


def test_no_headless_module_imports_textual() -> None:
    imports = "\n".join(f"import {name}" for name in _headless_modules())
    loaded = _imported_after(imports)
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


def test_parsing_the_command_line_imports_neither_textual_nor_boto3_nor_docker() -> None:
    loaded = _imported_after("from ecr_cache_tui.cli import build_parser\nbuild_parser()")
    heavy = {m.split(".")[0] for m in loaded} & {"textual", "boto3", "botocore", "docker"}
    assert heavy == set()
