"""The documentation the tests hold to the code: the README (the landing page) and the docs site's pages."""

from __future__ import annotations

from support.paths import ROOT

DOCS = ROOT / "docs"
GENERATED = {"reference/cli.md"}  # written by docs/gen_cli.py from the typer app


def page(rel: str) -> str:
    """Return the text of docs/`rel` (e.g. `guide/evals.md`)."""
    return (DOCS / rel).read_text(encoding="utf-8")


def written_pages() -> dict[str, str]:
    """Return README.md and every hand-written page of the site, by path from the repository root."""
    pages = {"README.md": (ROOT / "README.md").read_text(encoding="utf-8")}
    for path in sorted(DOCS.rglob("*.md")):
        rel = path.relative_to(DOCS).as_posix()
        if rel not in GENERATED:
            pages[f"docs/{rel}"] = path.read_text(encoding="utf-8")
    return pages
