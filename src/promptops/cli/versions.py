"""Commands about versions in git: diff, log, release."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from promptops.cli import output
from promptops.cli.choices import DiffFormat, choose
from promptops.errors import ExitCode
from promptops.prompts import working

if TYPE_CHECKING:
    from promptops.prompts.diff import Diff, PromptDiff


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("diff")(diff)
    app.command("log")(log)
    app.command("release")(release)


def diff(
    names: list[str] = typer.Argument(None, help="Prompts to compare (default: every prompt)."),
    base: str | None = typer.Option(
        None, "--base", help="Base ref (default: HEAD's merge base with the default branch, else HEAD)."
    ),
    head: str | None = typer.Option(None, "--head", help="Head ref (default: the working tree)."),
    fmt: str = typer.Option("text", "--format", help="text, markdown or json."),
) -> int:
    """Show what changed in prompts between two refs: text, model, params, schema, version bump."""
    from promptops.project import Project
    from promptops.prompts.diff import diff_refs
    from promptops.prompts.registry import open_registry

    fmt = choose(fmt, DiffFormat).value
    registry = open_registry(Project.load())
    result = diff_refs(registry, base, head, names or ())
    if fmt == "json":
        from promptops.report.diff import diff_json

        output.data(diff_json(result))
    elif fmt == "markdown":
        from promptops.report.diff import prompts_markdown

        output.data(prompts_markdown(result))
    else:
        output.styled(text_lines(result))
    return int(ExitCode.OK)


def text_lines(result: Diff) -> list[tuple[str, str]]:
    """Return the terminal rendering of a diff as (text, style) lines."""
    base = result.base
    if result.base_sha and not result.base_sha.startswith(base):
        base = f"{base} ({result.base_sha[:7]})"
    elif result.base_sha:
        base = result.base_sha[:7]
    out = [(f"base {base} -> head {result.head}", "bold")]
    if not result.prompts:
        return [*out, ("no prompt changes", "dim")]
    for change in result.prompts:
        out += [("", ""), *_prompt_lines(change)]
    return out


def _prompt_lines(p: PromptDiff) -> list[tuple[str, str]]:
    renamed = f" (was {p.old_name})" if p.old_name else ""
    version = f"{p.old_version or '-'} -> {p.new_version or '-'}"
    out = [(f"{p.name}{renamed}: {p.status}, {version}", "bold")]
    if p.status in ("changed", "renamed"):
        verdict = "ok" if p.bump_ok else "INSUFFICIENT" if p.bump != "downgrade" else "VERSION WENT DOWN"
        reasons = f" ({', '.join(p.reasons)})" if p.reasons else ""
        out.append(
            (f"  bump: {p.bump}, needs {p.required}{reasons}: {verdict}", "green" if p.bump_ok else "red")
        )
    for c in (*p.fields, *p.metadata):
        out.append((f"  {c.path}: {_value(c.old)} -> {_value(c.new)}", "yellow"))
    for s in p.schema:
        label = "breaking" if s.breaking else "compatible"
        out.append((f"  {s.field} {label}: {s.change}", "red" if s.breaking else "cyan"))
    for m in p.messages:
        for line in m.unified.rstrip("\n").split("\n"):
            style = "bold" if line.startswith(("---", "+++")) else ""
            style = style or ("cyan" if line.startswith("@@") else "green" if line.startswith("+") else "")
            style = style or ("red" if line.startswith("-") else "")
            out.append((f"  {line}", style))
    return out


def _value(value: Any) -> str:
    if value is None:
        return "(absent)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def log(name: str = typer.Argument(..., help="Prompt name.")) -> int:
    """List the versions of a prompt: version, tag, commit, date, author, subject."""
    from promptops.project import Project
    from promptops.prompts.registry import open_registry

    registry = open_registry(Project.load())
    rows = []
    for entry in registry.versions(name):
        rev = entry.revision
        sha = rev.sha if rev else entry.tag.sha if entry.tag else ""
        rows.append(
            [
                entry.version,
                entry.tag.name if entry.tag else "-",
                sha[:7],
                rev.date[:16].replace("T", " ") if rev else "-",
                rev.author if rev else "-",
                rev.subject if rev else "-",
            ]
        )
    if registry.project.prompt_path(name).is_file():
        current = working.load_prompt(registry.project, name).version
        if current not in {row[0] for row in rows}:
            rows.append([current, "-", "-", "-", "-", "(working tree, not committed)"])
    output.styled(columns(["version", "tag", "commit", "date", "author", "subject"], rows))
    return int(ExitCode.OK)


def columns(header: list[str], rows: list[list[str]]) -> list[tuple[str, str]]:
    """Return a table as aligned (text, style) lines that never wrap or truncate (pipes keep it all)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [(line(header), "bold"), *((line(r), "") for r in rows)]


def release(names: list[str] = typer.Argument(None, help="Prompts to release (default: all).")) -> int:
    """Create annotated tags for current prompt versions that have none (idempotent)."""
    from promptops.project import Project
    from promptops.prompts.registry import open_registry
    from promptops.prompts.registry import release as tag_versions

    registry = open_registry(Project.load())
    done = tag_versions(registry, list(names or []))
    created = [r for r in done if r.created]
    for r in done:
        if r.created:
            output.data(f"tagged {r.tag} at {r.sha[:7]}")
        else:
            output.info(f"{r.tag} already exists")
    if created:
        output.data(f"push the tags with: git push origin {' '.join(r.tag for r in created)}")
    else:
        output.info("nothing to release: every current version is tagged")
    return int(ExitCode.OK)
