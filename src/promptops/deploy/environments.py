"""environments.yaml: which version each environment serves; read with lines, rewritten deterministically."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, InputError, Problem, UnknownPromptError
from promptops.formats import Document, decode, dump_yaml, key_path, parse_yaml, validate
from promptops.project import PROMPT_NAME, Project, read_bytes, write_atomic


@dataclass(frozen=True, kw_only=True)
class Canary:
    """A share of an environment's traffic (0 < percent < 100) served by another version."""

    version: str
    percent: float


@dataclass(frozen=True, kw_only=True)
class Assignment:
    """The version one environment serves for one prompt, with an optional canary."""

    version: str
    canary: Canary | None = None
    line: int | None = field(default=None, compare=False)  # line in environments.yaml


HEADER = (
    "# Which prompt version each environment serves: ENV -> PROMPT -> VERSION.\n"
    "# Rewritten by `promptops promote` and `promptops rollback` (comments are not kept).\n"
)
ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CANARY_FORM = "{version: 1.3.0, canary: {version: 1.4.0, percent: 5}}"


@dataclass(frozen=True, kw_only=True)
class Environments:
    """Every environment (in file order) and the assignment of each prompt in it."""

    file: str
    envs: Mapping[str, Mapping[str, Assignment]]

    def names(self) -> list[str]:
        return list(self.envs)

    def assignment(self, env: str, prompt: str) -> Assignment | None:
        return self.envs.get(env, {}).get(prompt)

    def require(self, env: str, prompt: str) -> Assignment:
        """Return the assignment of `prompt` in `env`, or raise naming what is known."""
        if env not in self.envs:
            known = ", ".join(self.envs) or "none"
            raise UnknownPromptError(
                f"{self.file}: unknown environment '{env}' (known: {known})",
                hint="promote a version into it first: promptops promote NAME@VERSION --env " + env,
            )
        found = self.envs[env].get(prompt)
        if found is None:
            known = ", ".join(sorted(self.envs[env])) or "none"
            raise UnknownPromptError(
                f"{self.file}: environment '{env}' serves no prompt '{prompt}' (known: {known})"
            )
        return found

    def with_assignment(self, env: str, prompt: str, assignment: Assignment) -> Environments:
        """Return a copy where `env` serves `assignment` for `prompt` (a new env goes last)."""
        envs = {name: dict(prompts) for name, prompts in self.envs.items()}
        envs.setdefault(env, {})[prompt] = assignment
        return Environments(file=self.file, envs=envs)

    def references(self) -> list[tuple[str, str]]:
        """Return every (prompt, version) any environment serves, canaries included, sorted."""
        refs = set()
        for prompts in self.envs.values():
            for prompt, assignment in prompts.items():
                refs.add((prompt, assignment.version))
                if assignment.canary is not None:
                    refs.add((prompt, assignment.canary.version))
        return sorted(refs)

    def as_data(self) -> dict[str, dict[str, Any]]:
        """Return the file content: the plain form `prompt: VERSION` unless there is a canary."""
        return {env: {p: _plain(a) for p, a in sorted(prompts.items())} for env, prompts in self.envs.items()}


def _plain(assignment: Assignment) -> Any:
    if assignment.canary is None:
        return assignment.version
    canary = assignment.canary
    percent: float | int = int(canary.percent) if float(canary.percent).is_integer() else canary.percent
    return {"version": assignment.version, "canary": {"version": canary.version, "percent": percent}}


def check_name(env: str) -> None:
    """Raise InputError unless `env` can be an environment name."""
    if not ENV_NAME.match(env):
        raise InputError(
            f"'{env}' is not a valid environment name",
            hint="use letters, digits, '.', '_' and '-', starting with a letter or digit",
        )


def parse(text: str, file: str) -> Environments:
    """Return the environments in `text`, or raise FileFormatError listing every problem."""
    doc = parse_yaml(text, file)
    if doc.data is None:
        return Environments(file=file, envs={})
    if not isinstance(doc.data, dict):
        raise FileFormatError(
            [
                Problem(
                    file=file,
                    line=doc.line(()),
                    path="",
                    message="must be a mapping of ENV -> PROMPT -> VERSION",
                )
            ]
        )
    own = _problems(doc)
    taken = {p.path for p in own}
    schema = [_semver(p) for p in validate(doc, "environments") if p.path not in taken]
    problems = sorted(own + schema, key=lambda p: (p.line or 0, p.path))
    if problems:
        raise FileFormatError(problems, hint=f"the form is `order-id: 1.3.0` or `order-id: {CANARY_FORM}`")
    return _to_environments(doc)


def _problems(doc: Document) -> list[Problem]:
    """Return what the schema cannot say well: names, numbers for versions, a canary without a version."""
    out = []
    for env, prompts in doc.data.items():
        if not ENV_NAME.match(env):
            out.append(
                Problem(
                    file=doc.file, line=doc.line((env,)), path=env, message="not a valid environment name"
                )
            )
        if not isinstance(prompts, dict):
            continue
        for prompt, value in prompts.items():
            path = (env, prompt)
            if not PROMPT_NAME.fullmatch(prompt):
                out.append(
                    Problem(
                        file=doc.file,
                        line=doc.line(path),
                        path=key_path(path),
                        message="not a valid prompt name",
                    )
                )
            if isinstance(value, int | float) and not isinstance(value, bool):
                message = f"{value} is a number; write the full version as a string, MAJOR.MINOR.PATCH"
                out.append(Problem(file=doc.file, line=doc.line(path), path=key_path(path), message=message))
            elif isinstance(value, dict):
                out.extend(_canary_problems(doc, path, value))
    return out


def _canary_problems(doc: Document, path: tuple[str, str], value: dict[str, Any]) -> list[Problem]:
    if "percent" in value and "canary" not in value:
        where: tuple[str, ...] = (*path, "percent")
        message = f"`percent` belongs to a canary with its own version: write {CANARY_FORM}"
        return [Problem(file=doc.file, line=doc.line(where), path=key_path(where), message=message)]
    canary = value.get("canary")
    if (
        isinstance(canary, dict)
        and canary.get("version") is not None
        and canary.get("version") == value.get("version")
    ):
        where = (*path, "canary", "version")
        message = "the canary serves the same version as the environment"
        return [Problem(file=doc.file, line=doc.line(where), path=key_path(where), message=message)]
    return []


def _semver(problem: Problem) -> Problem:
    # The schema's semver pattern is long; say what it means instead of quoting it.
    match = re.match(r"^'(.*)' does not match '\^\(0", problem.message)
    if match is None:
        return problem
    message = f"'{match.group(1)}' is not a semantic version (MAJOR.MINOR.PATCH)"
    return Problem(file=problem.file, line=problem.line, path=problem.path, message=message)


def _to_environments(doc: Document) -> Environments:
    envs: dict[str, dict[str, Assignment]] = {}
    for env, prompts in doc.data.items():
        envs[env] = {}
        for prompt, value in (prompts or {}).items():
            line = doc.line((env, prompt))
            if isinstance(value, str):
                envs[env][prompt] = Assignment(version=value, canary=None, line=line)
                continue
            canary = value.get("canary")
            envs[env][prompt] = Assignment(
                version=value["version"],
                canary=None
                if canary is None
                else Canary(version=canary["version"], percent=float(canary["percent"])),
                line=line,
            )
    return Environments(file=doc.file, envs=envs)


def dump(environments: Environments) -> str:
    """Return the deterministic text of an environments file."""
    data = environments.as_data()
    return HEADER + (dump_yaml(data) if data else "{}\n")


def file_path(project: Project) -> Path:
    return project.environments_file


def read(project: Project, *, missing_ok: bool = True) -> Environments:
    """Return the project's environments (none when the file does not exist and `missing_ok`)."""
    file = file_path(project)
    label = project.relative(file)
    if missing_ok and not file.exists():
        return Environments(file=label, envs={})
    return parse(decode(read_bytes(file, label), label), label)


def write(project: Project, environments: Environments) -> Path:
    """Rewrite the project's environments file atomically and return its path."""
    file = file_path(project)
    write_atomic(file, dump(environments))
    return file
