"""README's "How it is built" names every module of the package, so the map never goes stale."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ecr_cache_tui"
#: Folders the map describes as a whole ("one module per subcommand", "screens/", "widgets/").
AS_A_WHOLE = {"commands", "screens", "widgets"}


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## How it is built")
    return text[start : text.index("\n## ", start + 1)]


def test_how_it_is_built_names_every_module() -> None:
    text = section()
    modules = [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name not in {"__init__.py", "__main__.py"}
        and AS_A_WHOLE.isdisjoint(path.relative_to(PACKAGE).parts[:-1])
    ]
    assert modules
    missing = [str(p.relative_to(PACKAGE)) for p in modules if f"`{p.name}`" not in text]
    assert missing == []


def test_how_it_is_built_names_every_folder() -> None:
    text = section()
    folders = [p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    assert folders
    assert [f for f in folders if f"`{f}/`" not in text] == []
