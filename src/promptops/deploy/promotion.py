"""Promotion and rollback: which released version an environment serves, and the evidence to move it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from promptops.deploy import environments
from promptops.deploy.environments import Assignment, Canary, Environments
from promptops.errors import InputError, PromptOpsError, UnknownPromptError
from promptops.formats import content_hash, decode, dump_json
from promptops.project import Project
from promptops.prompts import working
from promptops.prompts.gitstore import SHALLOW_HINT, TagRef
from promptops.prompts.registry import Registry, parse_selector, tag_name
from promptops.spec import PromptSpec

if TYPE_CHECKING:
    from promptops.deploy.bundle import Bundle


@dataclass(frozen=True, kw_only=True)
class Change:
    """One rewrite of environments.yaml: what `env` served for `prompt` before and after."""

    env: str
    prompt: str
    before: Assignment | None
    after: Assignment

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True, kw_only=True)
class Released:
    spec: PromptSpec
    tag: TagRef
    content_hash: str


def version_selector(text: str) -> tuple[str, str]:
    """Return (name, version) of `NAME@VERSION`, or raise naming what was expected."""
    selector = parse_selector(text)
    if selector.version is None:
        raise InputError(
            f"'{text}': expected NAME@VERSION with a released version, e.g. {selector.name}@1.2.0",
            hint=f"list the versions with `promptops log {selector.name}`",
        )
    return selector.name, selector.version


def released(registry: Registry, name: str, version: str) -> Released:
    """Return the spec of `name@version` read from its tag; raise when the version has no tag."""
    wanted = tag_name(registry.project.config, name, version)
    tag = registry.history.tag(wanted)
    if tag is None:
        raise UnknownPromptError(
            f"{name}@{version} is not released: there is no tag {wanted}",
            hint=f"release it first with `promptops release {name}` (and push the tag), "
            "or fetch the tags with `git fetch --tags`",
        )
    spec = registry.resolve(f"{name}@{version}").spec  # checks the tag's file is name@version
    return Released(spec=spec, tag=tag, content_hash=content_hash(spec.content()))


def assign(
    envs: Environments, env: str, name: str, version: str, canary_percent: float | None = None
) -> Change:
    """Return the change that makes `env` serve `name@version` (or canary it to `canary_percent`)."""
    environments.check_name(env)
    before = envs.assignment(env, name)
    if canary_percent is None:
        return Change(env=env, prompt=name, before=before, after=Assignment(version=version))
    if not 0 < canary_percent <= 100:
        raise InputError(f"--canary must be a percentage above 0 and at most 100, got {canary_percent:g}")
    if before is None:
        raise InputError(
            f"{env} serves no version of '{name}' yet, so there is nothing to canary against",
            hint=f"promote a stable version first: promptops promote {name}@{version} --env {env}",
        )
    if before.version == version:
        raise InputError(f"{env} already serves {name}@{version} to everyone; a canary needs another version")
    return Change(
        env=env,
        prompt=name,
        before=before,
        after=Assignment(version=before.version, canary=Canary(version=version, percent=canary_percent)),
    )


def rollback(envs: Environments, env: str, name: str, served: list[str], shallow: bool = False) -> Change:
    """Return the change back to what `env` served before (`served`: its versions, oldest first).

    An active canary is rolled back first: the environment keeps its stable version.
    """
    current = envs.require(env, name)
    if current.canary is not None:
        return Change(env=env, prompt=name, before=current, after=Assignment(version=current.version))
    target = previous(served)
    if target is None:
        steps = [v for i, v in enumerate(served) if i == 0 or served[i - 1] != v] or [current.version]
        raise InputError(
            f"no earlier version of '{name}' to roll back to in {env} "
            f"(served in the history of {envs.file}: {' -> '.join(steps)})",
            hint=SHALLOW_HINT
            if shallow
            else f"promote a version explicitly: promptops promote {name}@VERSION --env {env}",
        )
    return Change(env=env, prompt=name, before=current, after=Assignment(version=target))


def previous(served: list[str]) -> str | None:
    """Return the version served before the current one, skipping versions already rolled back from.

    `served` lists the versions in the order they were served. Moving back to the version just below the top
    of the stack is a rollback (pop); anything else is a promotion (push). So after 1.0 -> 1.1 -> 1.2 and a
    rollback to 1.1, the next rollback goes to 1.0, not back to the bad 1.2.
    """
    stack: list[str] = []
    for version in served:
        if stack and stack[-1] == version:
            continue
        if len(stack) >= 2 and stack[-2] == version:
            stack.pop()
        else:
            stack.append(version)
    return stack[-2] if len(stack) >= 2 else None


def served_versions(registry: Registry, project: Project, env: str, name: str) -> list[str]:
    """Return the versions `env` served for `name` in the history of environments.yaml, oldest first,
    ending with the working tree's."""
    path = project.config.environments_file
    out = []
    for revision in reversed(registry.history.history(path)):
        raw = registry.history.read_file(revision.sha, revision.path)
        if raw is None:
            continue
        try:
            label = f"{revision.sha[:12]}:{revision.path}"
            envs = environments.parse(decode(raw, label), label)
        except PromptOpsError:
            continue  # a broken file in the past served nothing we can go back to
        found = envs.assignment(env, name)
        if found is not None:
            out.append(found.version)
    current = environments.read(project).assignment(env, name)
    if current is not None:
        out.append(current.version)
    return out


@dataclass(frozen=True, kw_only=True)
class StatusRow:
    """What one environment serves for one prompt, next to the working tree."""

    env: str
    prompt: str
    version: str
    canary: Canary | None
    working_tree: str | None  # the version in the working-tree prompt file, None when the file is gone
    released: bool | None  # whether the served version has its tag; None outside git

    @property
    def drifted(self) -> bool:
        return self.working_tree != self.version


def status(project: Project, envs: Environments, registry: Registry | None) -> list[StatusRow]:
    """Return one row per environment and prompt, in file order."""
    tree: dict[str, str | None] = {}
    rows = []
    for env, prompts in envs.envs.items():
        for name, assignment in sorted(prompts.items()):
            if name not in tree:
                tree[name] = _working_version(project, name)
            rows.append(
                StatusRow(
                    env=env,
                    prompt=name,
                    version=assignment.version,
                    canary=assignment.canary,
                    working_tree=tree[name],
                    released=None if registry is None else _has_tag(registry, name, assignment.version),
                )
            )
    return rows


def _working_version(project: Project, name: str) -> str | None:
    if not project.prompt_path(name).exists():
        return None
    try:
        return working.load_prompt(project, name).version
    except PromptOpsError:
        return "(invalid file)"


def _has_tag(registry: Registry, name: str, version: str) -> bool:
    return registry.history.tag(tag_name(registry.project.config, name, version)) is not None


@dataclass(frozen=True, kw_only=True)
class Status:
    """`promptops status`: the environments file, whether it has uncommitted changes, and its rows."""

    file: str
    uncommitted: bool
    rows: tuple[StatusRow, ...]


def project_status(project: Project) -> Status:
    """Return what every environment serves, checked against the tags when the project is in git."""
    from promptops.deploy import environments
    from promptops.errors import RefError
    from promptops.prompts.gitstore import open_store

    if not environments.file_path(project).exists():
        raise InputError(
            f"{project.relative(environments.file_path(project))}: no such file: nothing is deployed yet",
            hint="`promptops release` tags the versions, then `promptops promote NAME@VERSION --env staging` "
            "creates it",
        )
    envs = environments.read(project, missing_ok=False)
    registry: Registry | None = None
    try:
        store = open_store(project.root)
        store.resolve("HEAD")
        dirty = store.uncommitted([project.config.environments_file])
        registry = Registry(project, lambda: store)
    except RefError:
        dirty = []  # outside git (or before the first commit) there are no tags to check
    return Status(file=envs.file, uncommitted=bool(dirty), rows=tuple(status(project, envs, registry)))


def status_json(status: Status) -> str:
    """Return the status rows with the environments file and its uncommitted flag."""
    return dump_json(
        {
            "environments_file": status.file,
            "uncommitted": status.uncommitted,
            "rows": [
                {
                    "env": r.env,
                    "prompt": r.prompt,
                    "version": r.version,
                    "working_tree": r.working_tree,
                    "released": r.released,
                    "drifted": r.drifted,
                    "canary": None
                    if r.canary is None
                    else {"version": r.canary.version, "percent": r.canary.percent},
                }
                for r in status.rows
            ],
        }
    )


def bundle_for(project: Project) -> tuple[Bundle, Environments]:
    """Return the bundle of every version the project's environments serve, read from the tags."""
    from promptops.deploy.bundle import build
    from promptops.prompts.registry import open_registry

    envs = environments.read(project, missing_ok=False)
    if not envs.references():
        raise InputError(
            f"{envs.file} serves no prompt version; nothing to bundle",
            hint="promote a version first: promptops promote NAME@VERSION --env ENV",
        )
    registry = open_registry(project)

    def resolve(name: str, version: str) -> tuple[PromptSpec, str]:
        found = released(registry, name, version)
        return found.spec, found.tag.name

    return build(envs, resolve), envs


def settle(envs: Environments, env: str, name: str, promote: bool) -> Change:
    """Return the change that ends `env`'s canary of `name`: everyone gets the canary, or no one does."""
    current = envs.require(env, name)
    if current.canary is None:
        raise InputError(f"{env} serves {name}@{current.version} with no canary; there is nothing to settle")
    after = Assignment(version=current.canary.version if promote else current.version)
    return Change(env=env, prompt=name, before=current, after=after)
