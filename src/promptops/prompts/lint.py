"""Lint rules with stable codes, each a small function returning findings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from promptops import secrets
from promptops.config import ProjectConfig
from promptops.errors import FileFormatError, InputError, Problem
from promptops.formats import Document, decode, key_path, parse_yaml
from promptops.project import CONFIG_FILE, Project, find_root, parse_config, read_bytes
from promptops.prompts import catalog, render, tool_rules, version_rules, working
from promptops.prompts.finding import Finding, Rule
from promptops.prompts.promptfile import ToolSource, check, template_line, to_spec
from promptops.spec import PromptSpec

SCHEMA = Rule(
    code="PO001",
    slug="schema",
    severity="error",
    summary="the file is not valid YAML or breaks the file format",
)
TEMPLATE_SYNTAX = Rule(
    code="PO002", slug="template-syntax", severity="error", summary="a message template is not valid Jinja"
)
UNDECLARED = Rule(
    code="PO003",
    slug="undeclared-variable",
    severity="error",
    summary="a template uses a variable that `inputs` does not declare",
)
UNUSED = Rule(
    code="PO004",
    slug="unused-input",
    severity="warning",
    summary="`inputs` declares a variable that no template uses",
)
NAME_MISMATCH = Rule(
    code="PO005",
    slug="name-mismatch",
    severity="error",
    summary="`name` differs from the file path below prompts/",
)
DUPLICATE = Rule(
    code="PO006", slug="duplicate-name", severity="error", summary="two prompt files declare the same `name`"
)
FLOATING = Rule(
    code="PO007",
    slug="floating-model",
    severity="error",
    summary="a model or fallback is a floating alias, not a dated snapshot",
)
SECRET = Rule(
    code="PO008",
    slug="secret",
    severity="error",
    summary="a prompt file holds an API key, credentials or an endpoint",
)
INVALID_EXAMPLE = Rule(
    code="PO009",
    slug="invalid-example",
    severity="error",
    summary="an entry of `examples` does not fit the prompt's variables",
)
UNSAFE = Rule(
    code="PO010",
    slug="unsafe-template",
    severity="error",
    summary="a template reaches for Python internals; render refuses it",
)


@dataclass(frozen=True, kw_only=True)
class PromptFile:
    """One prompt file as the rules see it: its parse, its spec when valid, its problems."""

    label: str
    name: str | None  # the name its path implies
    text: str
    doc: Document | None
    spec: PromptSpec | None
    problems: tuple[Problem, ...]
    root: Path | None = None  # the project, for files a prompt names (image `path:` parts)


def read(
    raw: bytes | None,
    label: str,
    name: str | None,
    error: Problem | None = None,
    *,
    tools: ToolSource | None = None,
    root: Path | None = None,
) -> PromptFile:
    """Return a PromptFile for lint, keeping every problem instead of raising."""
    if raw is None:
        return PromptFile(
            label=label,
            name=name,
            text="",
            doc=None,
            spec=None,
            problems=(error or Problem(file=label, line=None, path="", message="unreadable"),),
        )
    text = ""
    try:
        text = decode(raw, label)
        doc = parse_yaml(text, label)
    except FileFormatError as exc:
        return PromptFile(
            label=label, name=name, text=text, doc=None, spec=None, problems=tuple(exc.problems)
        )
    problems = tuple(check(doc, tools))
    spec = None if problems else to_spec(doc, tools)
    return PromptFile(label=label, name=name, text=text, doc=doc, spec=spec, problems=problems, root=root)


# --- rules on one file ---------------------------------------------------------


def schema(f: PromptFile) -> Iterator[Finding]:
    for p in f.problems:
        yield SCHEMA.finding(p.file or f.label, p.line, f"{p.path}: {p.message}" if p.path else p.message)
    if f.spec is not None and f.root is not None:
        for where, line, problem in tool_rules.image_problems(f.spec, f.root):
            yield SCHEMA.finding(f.label, line, f"{where}: {problem}")


def _templates(f: PromptFile) -> Iterator[tuple[str, str, int | None]]:
    """Yield (key path, text, line) of every message template, also from a file with schema errors."""
    if f.spec is not None:
        for i, message in enumerate(f.spec.messages):
            for key, text, line in message.templates():
                yield f"messages[{i}].{key}", text, line
        return
    data = f.doc.data if f.doc is not None else None
    messages = data.get("messages") if isinstance(data, dict) else None
    for i, message in enumerate(messages if isinstance(messages, list) else ()):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str) and f.doc is not None:
            at = ("messages", i, "content")
            yield f"messages[{i}].content", content, f.doc.value_lines.get(at, f.doc.line(at))


def template_syntax(f: PromptFile) -> Iterator[Finding]:
    for where, content, line in _templates(f):
        problem = render.syntax_problem(content, f.label, line, where)
        if problem is not None:
            yield TEMPLATE_SYNTAX.finding(f.label, problem.line, f"{problem.path}: {problem.message}")


def unsafe_template(f: PromptFile) -> Iterator[Finding]:
    for where, content, line in _templates(f):
        problem = render.unsafe_problem(content, f.label, line, where)
        if problem is not None:
            yield UNSAFE.finding(
                f.label,
                problem.line,
                f"{problem.path}: {problem.message}",
                "templates may not reach Python internals",
            )


def _used(spec: PromptSpec) -> dict[str, int]:
    """Return each variable the templates read, with the index of the first message that reads it."""
    used: dict[str, int] = {}
    for i, message in enumerate(spec.messages):
        if message.history is not None:
            used.setdefault(message.history, i)
        for name in sorted({v for _, text, _ in message.templates() for v in render.variables(text)}):
            used.setdefault(name, i)
    return used


def undeclared_variable(f: PromptFile) -> Iterator[Finding]:
    if f.spec is None or f.spec.inputs is None:
        return
    declared = set(render.declared(f.spec) or [])
    for name, i in _used(f.spec).items():
        if name not in declared:
            yield UNDECLARED.finding(
                f.label,
                f.spec.messages[i].line,
                f"variable '{name}' is used in messages[{i}].content but not declared in inputs",
                f"declare it under inputs.properties, e.g. `{name}: {{type: string}}`",
            )


def unused_input(f: PromptFile) -> Iterator[Finding]:
    if f.spec is None or f.spec.inputs is None:
        return
    used = _used(f.spec)
    for name in render.declared(f.spec) or []:
        if name not in used:
            line = f.spec.lines.get(f"inputs.properties.{name}") or f.spec.lines.get("inputs.required")
            yield UNUSED.finding(
                f.label, line, f"input '{name}' is declared in inputs but no template uses it"
            )


def name_mismatch(f: PromptFile) -> Iterator[Finding]:
    if f.spec is None or f.name is None or f.spec.name == f.name:
        return
    folder = f.label[: -len(f"{f.name}.yaml")] if f.label.endswith(f"{f.name}.yaml") else ""
    yield NAME_MISMATCH.finding(
        f.label,
        f.spec.lines.get("name"),
        f"name '{f.spec.name}' does not match the file path (expected '{f.name}')",
        f"set `name: {f.name}` or rename the file to {folder}{f.spec.name}.yaml",
    )


def floating_model(f: PromptFile) -> Iterator[Finding]:
    if f.spec is None:
        return
    known = catalog.load()
    pins = [("model", f.spec.model), *((f"fallbacks.{i}", m) for i, m in enumerate(f.spec.fallbacks))]
    for where, model in pins:
        alternatives = known.floating(model)
        if alternatives is None:
            continue
        shown = ", ".join(alternatives[:3])
        hint = f"pin a dated snapshot: {shown}" if shown else "pin a dated snapshot of this model"
        label = where if where == "model" else f"fallbacks[{where.split('.')[1]}]"
        yield FLOATING.finding(
            f.label, f.spec.lines.get(where), f"{label}: '{model}' is a floating alias", hint
        )


def invalid_example(f: PromptFile) -> Iterator[Finding]:
    if f.spec is None:
        return
    for i, example in enumerate(f.spec.examples):
        line = f.spec.lines.get(f"examples.{i}")
        for name in render.unknown_variables(f.spec, example):
            yield INVALID_EXAMPLE.finding(f.label, line, f"examples[{i}]: unknown variable '{name}'")
        if f.spec.inputs is None:
            for name in sorted(set(_used(f.spec)) - set(example)):
                yield INVALID_EXAMPLE.finding(
                    f.label, line, f"examples[{i}]: variable '{name}' is used by the templates but missing"
                )
            continue
        try:
            render.check_inputs(f.spec, example)
        except FileFormatError as exc:
            for problem in exc.problems:
                yield INVALID_EXAMPLE.finding(f.label, line, f"examples[{i}]: {problem.message}")


# Key names that configure a provider connection; providers read these from the environment instead.
SECRET_KEYS = frozenset(
    {
        "api_key",
        "apikey",
        "api_base",
        "base_url",
        "api_secret",
        "secret_key",
        "access_token",
        "password",
        "aws_access_key_id",
        "aws_secret_access_key",
        "organization",
        "azure_ad_token",
    }
)


def _walk(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _walk(value, (*path, i))


def secret(f: PromptFile) -> Iterator[Finding]:
    if f.doc is None:
        return
    hint = "configure providers with environment variables (OPENAI_API_KEY, OPENAI_BASE_URL, ...)"
    for path, value in _walk(f.doc.data):
        if path and isinstance(path[-1], str) and path[-1].lower() in SECRET_KEYS:
            message = f"{key_path(path)}: provider settings do not belong in a prompt file"
            yield SECRET.finding(f.label, f.doc.line(path), message, hint)
        if not isinstance(value, str):
            continue
        found = secrets.find(value)
        if found:
            kind, match = found
            start = template_line(f.doc, path)
            line = None if start is None else start + value.count("\n", 0, match.start())
            yield SECRET.finding(f.label, line, f"{key_path(path)}: looks like {kind}", hint)


FILE_RULES: tuple[tuple[Rule, Callable[[PromptFile], Iterable[Finding]]], ...] = (
    (SCHEMA, schema),
    (TEMPLATE_SYNTAX, template_syntax),
    (UNDECLARED, undeclared_variable),
    (UNUSED, unused_input),
    (NAME_MISMATCH, name_mismatch),
    (FLOATING, floating_model),
    (SECRET, secret),
    (INVALID_EXAMPLE, invalid_example),
    (UNSAFE, unsafe_template),
    (tool_rules.STRICT, lambda f: tool_rules.strict_findings(f.spec, f.label) if f.spec else ()),
    (tool_rules.CAPABILITY, lambda f: tool_rules.capability_findings(f.spec, f.label) if f.spec else ()),
)
RULES: tuple[Rule, ...] = tuple(
    sorted((*(rule for rule, _ in FILE_RULES), DUPLICATE, *version_rules.RULES), key=lambda r: r.code)
)


# --- rules across files --------------------------------------------------------


def duplicate_names(files: Sequence[PromptFile], others: Sequence[PromptFile]) -> Iterator[Finding]:
    """Report each linted file whose `name` another prompt file of the project also declares."""
    owners: dict[str, list[str]] = {}
    for f in (*files, *others):
        if f.spec is not None:
            owners.setdefault(f.spec.name, []).append(f.label)
    for f in files:
        if f.spec is None:
            continue
        rest = [label for label in owners[f.spec.name] if label != f.label]
        if rest:
            yield DUPLICATE.finding(
                f.label,
                f.spec.lines.get("name"),
                f"name '{f.spec.name}' is also declared in {', '.join(sorted(rest))}",
            )


# --- running -------------------------------------------------------------------

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z0-9, ]+))?", re.IGNORECASE)


def suppressed(finding: Finding, text: str) -> bool:
    """Return whether the finding's line carries `# noqa` or `# noqa: CODE[, CODE]`."""
    lines = text.splitlines()
    if finding.line is None or not 0 < finding.line <= len(lines):
        return False
    match = _NOQA.search(lines[finding.line - 1])
    if match is None:
        return False
    codes = match.group("codes")
    return codes is None or finding.code in {c.strip().upper() for c in codes.split(",")}


def lint_file(f: PromptFile) -> list[Finding]:
    """Return the findings of every single-file rule on `f`, without the suppressed ones."""
    found = [finding for _, check_file in FILE_RULES for finding in check_file(f)]
    return [x for x in found if not suppressed(x, f.text)]


@dataclass(frozen=True, kw_only=True)
class Report:
    findings: tuple[Finding, ...]
    files: tuple[str, ...]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


def load_project(start: Path) -> tuple[Project, list[Finding]]:
    """Return the project at or above `start`; a broken promptops.yaml becomes findings, not an error."""
    root = find_root(start)
    try:
        config = parse_config(read_bytes(root / CONFIG_FILE, CONFIG_FILE), CONFIG_FILE)
    except FileFormatError as exc:
        found = [
            SCHEMA.finding(p.file or CONFIG_FILE, p.line, str(replace(p, file="", line=None)))
            for p in exc.problems
        ]
        return Project(root=root, config=ProjectConfig()), found
    return Project(root=root, config=config), []


def _open(project: Project, path: Path) -> PromptFile:
    label = project.relative(project.contained(path))
    try:
        name: str | None = project.prompt_name(path)
    except ValueError:
        name = None
    try:
        return read(
            read_bytes(path, label), label, name, tools=working.tool_source(project), root=project.root
        )
    except FileFormatError as exc:
        return read(None, label, name, exc.problems[0])


def _entries(folder: Path) -> list[Path]:
    # every `*.yaml` entry, not only regular files: a directory or FIFO named like a prompt file is
    # reported (read_bytes says what it is), never skipped in silence
    return sorted(folder.rglob("*.yaml")) if folder.is_dir() else []


def targets(project: Project, paths: Sequence[Path]) -> list[Path]:
    """Return the prompt files that `paths` name (every prompt file when empty)."""
    if not paths:
        return _entries(project.prompts_dir)
    out: list[Path] = []
    prompts = project.prompts_dir.resolve()
    for path in paths:
        full = path.resolve()
        if not full.exists():
            raise InputError(f"{path}: no such file or directory")
        if full.is_dir() and full in prompts.parents:  # e.g. the project root: every prompt file
            out.extend(_entries(project.prompts_dir))
        elif full.is_dir() and (full == prompts or prompts in full.parents) and full.suffix != ".yaml":
            out.extend(_entries(full))
        elif full == (project.root / CONFIG_FILE).resolve():
            continue
        elif prompts not in full.parents:
            raise InputError(
                f"{path}: not a prompt file (not below {project.config.prompts_dir}/)",
                hint="lint checks prompt files and promptops.yaml",
            )
        else:
            out.append(full)
    return sorted(dict.fromkeys(out))


def lint(
    project: Project, paths: Sequence[Path] = (), extra: Sequence[Finding] = (), base: str | None = None
) -> Report:
    """Return the findings for `paths` (default: every prompt file) plus `extra`, sorted.

    With `base`, also the version rules (PO101-PO103) against that git ref.
    """
    chosen = targets(project, paths)
    if base is not None:
        from promptops.prompts.registry import open_registry

        wanted = {project.relative(p) for p in chosen}
        found = version_rules.version_findings(open_registry(project), base)
        extra = [*extra, *(f for f in found if f.file in wanted)]
    files = [_open(project, p) for p in chosen]
    picked = {p.resolve() for p in chosen}
    others = [_open(project, p) for p in _entries(project.prompts_dir) if p.resolve() not in picked]
    findings = [*extra]
    for f in files:
        findings.extend(lint_file(f))
    findings.extend(x for x in duplicate_names(files, others) if not _suppressed_in(x, files))
    findings.sort(key=lambda x: (x.file, x.line or 0, x.code, x.message))
    labels = ([CONFIG_FILE] if extra or not paths else []) + [f.label for f in files]
    return Report(findings=tuple(findings), files=tuple(labels))


def _suppressed_in(finding: Finding, files: Sequence[PromptFile]) -> bool:
    return any(f.label == finding.file and suppressed(finding, f.text) for f in files)
