"""The files `promptops init` writes: a project config, an example prompt and its eval suite."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from promptops.errors import InputError
from promptops.project import STATE_DIR, write_atomic


@dataclass(frozen=True, kw_only=True)
class Template:
    """One scaffolded file: where it goes in the project and its source under templates/."""

    target: str
    source: str


# Files every project gets. Add a line here to scaffold one more file.
PROJECT_FILES: tuple[Template, ...] = (
    Template(target="promptops.yaml", source="project/promptops.yaml"),
    Template(target=".github/workflows/promptops.yml", source="workflows/promptops.yml"),
    Template(target=".github/workflows/promptops-release.yml", source="workflows/promptops-release.yml"),
    Template(target=".github/workflows/promptops-canary.yml", source="workflows/promptops-canary.yml"),
    Template(target=".github/workflows/promptops-publish.yml", source="workflows/promptops-publish.yml"),
)


def _prompt_and_suite(name: str) -> tuple[str, ...]:
    return (f"prompts/{name}.yaml", f"evals/{name}.yaml", f"evals/data/{name}.jsonl")


# Files of each example (`init --example NAME`), below templates/examples/NAME/.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "order-id": _prompt_and_suite("order-id"),  # text output, equals + regex scorers
    "ticket-triage": _prompt_and_suite("ticket-triage"),  # JSON output, json_schema + json_field scorers
}
GITIGNORE_LINE = f"{STATE_DIR}/"


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What init will do: files to write (target -> text) and whether .gitignore needs a line."""

    files: dict[str, str]
    gitignore: bool


def templates(example: str) -> list[Template]:
    """Return the templates `init --example NAME` writes, or raise naming the known examples."""
    if example not in EXAMPLES:
        known = ", ".join(sorted(EXAMPLES))
        raise InputError(f"unknown example '{example}' (known: {known})")
    return [
        *PROJECT_FILES,
        *(Template(target=f, source=f"examples/{example}/{f}") for f in EXAMPLES[example]),
    ]


def template_text(source: str) -> str:
    """Return the text of the packaged template `source`."""
    return resources.files("promptops").joinpath(f"templates/{source}").read_text("utf-8")


def plan(root: Path, example: str, force: bool) -> Plan:
    """Return what init would write in `root`; raise naming the first file it would overwrite."""
    files: dict[str, str] = {}
    for item in templates(example):
        path = root / item.target
        for parent in Path(item.target).parents:
            if parent.parts and (root / parent).exists() and not (root / parent).is_dir():
                raise InputError(f"{parent.as_posix()}: is a file, expected a directory")
        if path.is_dir():
            raise InputError(f"{item.target}: is a directory, expected a file")
        if path.exists() and not force:
            raise InputError(f"{item.target} already exists", hint="use --force to overwrite it")
        files[item.target] = template_text(item.source)
    if (root / ".gitignore").is_dir():
        raise InputError(".gitignore: is a directory, expected a file")
    return Plan(files=files, gitignore=not _ignores_state(root / ".gitignore"))


def apply(root: Path, todo: Plan) -> list[str]:
    """Write the planned files and return what was written, in order."""
    written: list[str] = []
    for target, text in todo.files.items():
        _write(root, target, text, written)
    if todo.gitignore:
        path = root / ".gitignore"
        try:
            old = path.read_bytes() if path.exists() else b""
            sep = b"\n" if old and not old.endswith(b"\n") else b""
            with path.open("ab") as handle:  # appending keeps whatever encoding the file has
                handle.write(sep + GITIGNORE_LINE.encode() + b"\n")
        except OSError as exc:
            raise InputError(f".gitignore: cannot write: {exc.strerror}") from None
        written.append(".gitignore")
    return written


def _write(root: Path, target: str, text: str, written: list[str]) -> None:
    try:
        write_atomic(root / target, text)
    except OSError as exc:
        done = f" (already wrote: {', '.join(written)})" if written else ""
        raise InputError(f"{target}: cannot write: {exc.strerror}{done}") from None
    written.append(target)


def _ignores_state(path: Path) -> bool:
    if not path.is_file():
        return False
    text = path.read_text("utf-8", errors="replace")
    accepted: Sequence[str] = (STATE_DIR, f"{STATE_DIR}/", f"/{STATE_DIR}", f"/{STATE_DIR}/")
    return any(line.strip() in accepted for line in text.splitlines())
