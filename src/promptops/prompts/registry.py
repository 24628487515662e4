"""Selectors (NAME, NAME@VERSION, NAME@REF) -> PromptSpec, through a History that gitstore implements."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

import semver

from promptops.config import ProjectConfig
from promptops.errors import InputError, PromptOpsError, UnknownPromptError
from promptops.project import Project, read_bytes
from promptops.prompts import working
from promptops.prompts.gitstore import SHALLOW_HINT, Revision, TagRef
from promptops.prompts.promptfile import ToolSource, read_prompt
from promptops.spec import PromptSpec

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


class History(Protocol):
    """What the registry needs from git (gitstore.GitStore implements it)."""

    def resolve(self, ref: str) -> str: ...
    def read_file(self, ref: str, path: str) -> bytes | None: ...
    def list_files(self, ref: str, directory: str) -> list[str]: ...
    def read_files(self, ref: str, directory: str, suffix: str = "") -> dict[str, bytes]: ...
    def tag(self, name: str) -> TagRef | None: ...
    def tags(self, prefix: str = "") -> list[TagRef]: ...
    def history(self, path: str, ref: str = "HEAD") -> list[Revision]: ...
    def is_shallow(self) -> bool: ...
    def head(self) -> str | None: ...
    def default_branch(self) -> str | None: ...
    def merge_base(self, a: str, b: str) -> str | None: ...
    def uncommitted(self, paths: list[str]) -> list[str]: ...
    def create_tag(self, name: str, ref: str, message: str) -> TagRef: ...


@dataclass(frozen=True, kw_only=True)
class Selector:
    name: str
    version: str | None = None
    ref: str | None = None

    def __str__(self) -> str:
        at = self.version or self.ref
        return f"{self.name}@{at}" if at else self.name


@dataclass(frozen=True, kw_only=True)
class Source:
    """The raw bytes of one prompt file on one side (working tree or a commit)."""

    name: str
    path: str  # relative to the project root
    label: str  # `path` in the working tree, `ref:path` at a commit
    raw: bytes
    tools: ToolSource | None = None  # where its `use:` tools are read, on the same side


@dataclass(frozen=True, kw_only=True)
class VersionEntry:
    """A version of a prompt: the commit where the file first carried it, and its tag if any."""

    version: str
    revision: Revision | None  # None when only the tag is known (history not fetched)
    tag: TagRef | None


@dataclass(frozen=True, kw_only=True)
class Resolved:
    spec: PromptSpec
    sha: str | None  # None for the working tree
    tag: TagRef | None = None


def parse_selector(text: str) -> Selector:
    """Return the Selector `NAME`, `NAME@VERSION` or `NAME@REF` spells."""
    name, at, rest = text.partition("@")
    if not name:
        raise InputError(f"'{text}': expected NAME, NAME@VERSION or NAME@REF")
    if not at:
        return Selector(name=name)
    if not rest:
        raise InputError(f"'{text}': nothing after '@'", hint="write NAME@1.2.0 or NAME@<git ref>")
    return Selector(name=name, version=rest) if SEMVER.match(rest) else Selector(name=name, ref=rest)


def tag_name(config: ProjectConfig, name: str, version: str) -> str:
    """Return the tag of a released version, from `tag_format`."""
    return config.tag_format.format(name=name, version=version)


def version_key(version: str) -> semver.Version:
    """Return a sortable semver value (invalid versions sort first)."""
    try:
        return semver.Version.parse(version)
    except ValueError:
        return semver.Version(0)


class Registry:
    """Resolves selectors in one project; git is opened only when a selector needs it."""

    def __init__(self, project: Project, opener: Callable[[], History]) -> None:
        self.project = project
        self._opener = opener
        self._history: History | None = None

    @property
    def history(self) -> History:
        """Return the git history, opening the repository on first use."""
        if self._history is None:
            self._history = self._opener()
        return self._history

    def prompt_path(self, name: str) -> str:
        """Return the file of prompt `name`, relative to the project root."""
        return f"{self.project.config.prompts_dir}/{name}.yaml"

    def resolve(self, selector: str | Selector) -> Resolved:
        """Return the PromptSpec a selector names, with the commit and tag it came from."""
        sel = parse_selector(selector) if isinstance(selector, str) else selector
        if sel.version is not None:
            return self._at_version(sel.name, sel.version)
        if sel.ref is not None:
            sha = self.history.resolve(sel.ref)
            return Resolved(spec=self.at_ref(sel.name, sel.ref, sha), sha=sha)
        return Resolved(spec=working.load_prompt(self.project, sel.name), sha=None)

    def load(self, selector: str | Selector) -> PromptSpec:
        """Return the PromptSpec a selector names."""
        return self.resolve(selector).spec

    def at_ref(self, name: str, ref: str, sha: str | None = None) -> PromptSpec:
        """Return prompt `name` as it is at `ref`; raise UnknownPromptError when it is not there."""
        sha = sha or self.history.resolve(ref)
        path = self.prompt_path(name)
        raw = self.history.read_file(sha, path)
        if raw is None:
            known = ", ".join(sorted(self.sources(sha))) or "none"
            raise UnknownPromptError(
                f"unknown prompt '{name}' at {ref}: no file {path} there", hint=f"prompts at {ref}: {known}"
            )
        return read_prompt(raw, f"{ref}:{path}", self.tool_source(sha, ref))

    def tool_source(self, ref: str | None, label: str | None = None) -> ToolSource:
        """Return where prompts on one side (None: the working tree) read their `use:` tools."""
        if ref is None:
            return working.tool_source(self.project)
        at = ref

        def read(path: str) -> bytes | None:
            return self.history.read_file(at, path)

        return ToolSource(
            read=read, directory=self.project.config.tools_dir, label=f"{label or _short(ref)}:"
        )

    def sources(self, ref: str | None) -> dict[str, Source]:
        """Return every prompt file on one side (None: the working tree), by prompt name."""
        directory = self.project.config.prompts_dir
        out: dict[str, Source] = {}
        tools = self.tool_source(ref)
        if ref is None:
            for file in self.project.prompt_files():
                label = self.project.relative(file)
                out[self.project.prompt_name(file)] = Source(
                    name=self.project.prompt_name(file),
                    path=label,
                    label=label,
                    raw=read_bytes(file, label),
                    tools=tools,
                )
            return out
        for path, raw in self.history.read_files(ref, directory, ".yaml").items():
            name = PurePosixPath(path).relative_to(directory).with_suffix("").as_posix()
            out[name] = Source(name=name, path=path, label=f"{_short(ref)}:{path}", raw=raw, tools=tools)
        return out

    def versions(self, name: str) -> list[VersionEntry]:
        """Return every committed or tagged version of `name`, oldest first."""
        path = self.prompt_path(name)
        first: dict[str, Revision] = {}
        for revision in reversed(self.history.history(path)):
            raw = self.history.read_file(revision.sha, revision.path)
            version = _version_of(raw, self.tool_source(revision.sha))
            if version is not None and version not in first:
                first[version] = revision
        tags = self._tags(name)
        if not first and not tags:
            raise UnknownPromptError(
                f"unknown prompt '{name}': {path} has no committed history",
                hint="commit the prompt first" if not self.history.is_shallow() else SHALLOW_HINT,
            )
        versions = sorted(set(first) | set(tags), key=version_key)
        return [VersionEntry(version=v, revision=first.get(v), tag=tags.get(v)) for v in versions]

    def _tags(self, name: str) -> dict[str, TagRef]:
        fmt = self.project.config.tag_format
        prefix = fmt.split("{version}")[0].format(name=name)
        pattern = re.compile(
            re.escape(fmt)
            .replace(re.escape("{name}"), re.escape(name))
            .replace(re.escape("{version}"), "(?P<version>.+)")
            + "$"
        )
        out = {}
        for tag in self.history.tags(prefix):
            match = pattern.match(tag.name)
            if match and SEMVER.match(match["version"]):
                out[match["version"]] = tag
        return out

    def _at_version(self, name: str, version: str) -> Resolved:
        tag = self.history.tag(tag_name(self.project.config, name, version))
        if tag is not None:
            return Resolved(
                spec=verified(self._read_at(name, tag.name, tag.sha), name, version, tag.name),
                sha=tag.sha,
                tag=tag,
            )
        try:
            entries = self.versions(name)
        except UnknownPromptError:
            entries = []
        for entry in entries:
            if entry.version == version and entry.revision is not None:
                revision = entry.revision
                return Resolved(
                    spec=self._read_at(name, revision.sha[:12], revision.sha, revision.path), sha=revision.sha
                )
        known = ", ".join(e.version for e in entries) or "none"
        wanted = tag_name(self.project.config, name, version)
        raise UnknownPromptError(
            f"unknown version {version} of prompt '{name}' (known versions: {known})",
            hint=SHALLOW_HINT
            if self.history.is_shallow()
            else f"no tag {wanted} and no commit where {self.prompt_path(name)} has version {version}; "
            "if it was released elsewhere, run `git fetch --tags`",
        )

    def _read_at(self, name: str, label: str, sha: str, path: str | None = None) -> PromptSpec:
        path = path or self.prompt_path(name)
        raw = self.history.read_file(sha, path)
        if raw is None:
            raise UnknownPromptError(f"prompt '{name}' has no file {path} at {label}")
        return read_prompt(raw, f"{label}:{path}", self.tool_source(sha, label))


def verified(spec: PromptSpec, name: str, version: str, tag: str) -> PromptSpec:
    """Return `spec` read at `tag` when it is `name@version`; a moved or mistaken tag is an input error.

    Every released selector (render, eval, diff, promote, bundle, the SDK) goes through this one check.
    """
    where = spec.source.split(":", 1)[-1]
    found = (
        f"version {spec.version}"
        if spec.version != version
        else f"name '{spec.name}'"
        if spec.name != name
        else ""
    )
    if found:
        raise InputError(
            f"tag {tag} points at a commit where {where} has {found}",
            hint=f"the tag is wrong: delete it (`git tag -d {tag}`) and release {name}@{version} again",
        )
    return spec


def _version_of(raw: bytes | None, tools: ToolSource) -> str | None:
    if raw is None:
        return None
    try:
        return read_prompt(raw, "history", tools).version
    except PromptOpsError:
        return None  # an invalid file in the past carries no version


def _short(ref: str) -> str:
    return ref[:12] if re.fullmatch(r"[0-9a-f]{40}", ref) else ref


def open_registry(project: Project) -> Registry:
    """Return the Registry of `project`, opening its git repository on first need."""

    def opener() -> History:
        from promptops.prompts.gitstore import open_store

        return open_store(project.root)

    return Registry(project, opener)


@dataclass(frozen=True, kw_only=True)
class Release:
    name: str
    version: str
    tag: str
    sha: str
    created: bool  # False when the tag already existed


def release(registry: Registry, names: list[str]) -> list[Release]:
    """Tag the current version of each prompt (default: all) that has no tag yet; idempotent."""
    project = registry.project
    known = project.prompt_names()
    for name in names:
        if name not in known:
            raise UnknownPromptError(f"unknown prompt '{name}' (known: {', '.join(known) or 'none'})")
    chosen = sorted(set(names)) if names else known
    paths = [registry.prompt_path(n) for n in chosen]
    dirty = registry.history.uncommitted(paths)
    if dirty:
        raise InputError(
            f"uncommitted changes in {', '.join(dirty)}: release tags committed versions only",
            hint="commit (or revert) the changes, then run `promptops release` again",
        )
    existing = {t.name: t for t in registry.history.tags()}
    out = []
    for name, path in zip(chosen, paths, strict=True):
        spec = working.load_prompt(project, name)
        tag = tag_name(project.config, name, spec.version)
        if tag in existing:
            out.append(
                Release(name=name, version=spec.version, tag=tag, sha=existing[tag].sha, created=False)
            )
            continue
        revisions = registry.history.history(path)
        if not revisions:
            raise InputError(f"{path} has no committed history", hint="commit it, then release")
        target = revisions[0].sha
        made = registry.history.create_tag(tag, target, f"promptops release: {name} {spec.version}")
        out.append(Release(name=name, version=spec.version, tag=tag, sha=made.sha, created=True))
    return out
