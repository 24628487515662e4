"""The prompt changes between two sides of a repository, and the version findings of `lint --base`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from promptops.errors import PromptOpsError, RefError, UnknownPromptError
from promptops.promptfile import read_prompt
from promptops.prompts.diff.compare import Diff, PromptDiff, compare, is_unchanged, next_version
from promptops.prompts.finding import Finding
from promptops.prompts.registry import SHALLOW_HINT, History, Registry, Source, tag_name
from promptops.spec import PromptSpec

RENAME_SIMILARITY = 0.6


def default_base(history: History) -> str | None:
    """Return the default base: HEAD's merge base with the default branch, else HEAD (None: no commits).

    In a shallow clone a base equal to HEAD proves nothing (the default branch's history is simply not
    there, or origin/HEAD names the pull request's own branch): comparing would find "no changes" and pass
    unchecked, so that is a RefError asking for the history or an explicit --base.
    """
    head = history.head()
    if head is None:
        return None
    branch = history.default_branch()
    base = history.merge_base("HEAD", branch) if branch is not None else None
    if base is None:
        base = head
    if base == head and history.is_shallow():
        what = f"HEAD's merge base with {branch}" if branch is not None else "the default base"
        raise RefError(
            f"cannot tell the base from the head in this shallow clone: {what} is HEAD itself",
            hint=f"pass --base REF, or {SHALLOW_HINT}",
        )
    return base


def diff_refs(
    registry: Registry,
    base: str | None = None,
    head: str | None = None,
    names: Iterable[str] = (),
    strict: bool = True,
) -> Diff:
    """Return the prompt changes from `base` (default: see default_base) to `head` (None: working tree).

    With `strict=False` a prompt file that does not parse on either side is left out instead of raising.
    """
    history = registry.history
    base_label = base or "HEAD"
    base_sha = history.resolve(base) if base else default_base(history)
    if base is None and base_sha is not None and base_sha != history.head():
        base_label = f"merge base with {history.default_branch()}"
    head_sha = history.resolve(head) if head else None
    old = registry.sources(base_sha) if base_sha else {}
    new = registry.sources(head_sha)
    wanted = set(names)
    prompts = _pair(old, new, wanted, strict)
    unknown = sorted(wanted - {p.name for p in prompts} - {p.old_name for p in prompts} - set(old) - set(new))
    if unknown:
        raise UnknownPromptError(
            f"unknown prompt '{unknown[0]}': not at {base_label} and not at {head or 'the working tree'}",
            hint=f"prompts: {', '.join(sorted(set(old) | set(new))) or 'none'}",
        )
    return Diff(
        base=base_label if base_sha else "empty",
        head=head or "working tree",
        base_sha=base_sha,
        head_sha=head_sha,
        prompts=tuple(sorted(prompts, key=lambda p: p.name)),
    )


def _pair(
    old: Mapping[str, Source], new: Mapping[str, Source], wanted: set[str], strict: bool
) -> list[PromptDiff]:
    out: list[PromptDiff] = []
    removed: dict[str, PromptSpec] = {}
    added: dict[str, PromptSpec] = {}

    def parse(source: Source) -> PromptSpec | None:
        try:
            return _parse(source)
        except PromptOpsError:
            if strict:
                raise
            return None

    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a is not None and b is not None:
            if a.raw == b.raw or (wanted and name not in wanted):
                continue
            spec_a, spec_b = parse(a), parse(b)
            if spec_a is not None and spec_b is not None and not is_unchanged(spec_a, spec_b):
                out.append(compare(spec_a, spec_b))
            continue
        spec = parse(a or b)  # type: ignore[arg-type]
        if spec is not None:
            (removed if a is not None else added)[name] = spec
    for old_name, new_name in _renames(removed, added):
        spec_a, spec_b = removed.pop(old_name), added.pop(new_name)
        if not wanted or {old_name, new_name} & wanted:
            out.append(compare(spec_a, spec_b, "renamed"))
    out += [compare(spec, None) for name, spec in removed.items() if not wanted or name in wanted]
    out += [compare(None, spec) for name, spec in added.items() if not wanted or name in wanted]
    return out


def _parse(source: Source) -> PromptSpec:
    return read_prompt(source.raw, source.label)


def _body(spec: PromptSpec) -> str:
    """Return what identifies a prompt across a rename: its templates (model and params are often shared)."""
    return "\n".join(f"{m.role}: {m.content}" for m in spec.messages)


def _renames(removed: Mapping[str, PromptSpec], added: Mapping[str, PromptSpec]) -> list[tuple[str, str]]:
    """Return (old, new) pairs whose templates are at least 60% alike, best matches first."""
    scored = []
    for a, spec_a in removed.items():
        for b, spec_b in added.items():
            matcher = difflib.SequenceMatcher(a=_body(spec_a), b=_body(spec_b), autojunk=False)
            if matcher.real_quick_ratio() < RENAME_SIMILARITY or matcher.quick_ratio() < RENAME_SIMILARITY:
                continue
            ratio = matcher.ratio()
            if ratio >= RENAME_SIMILARITY:
                scored.append((-ratio, a, b))
    pairs: list[tuple[str, str]] = []
    used: set[str] = set()
    for _, a, b in sorted(scored):
        if a not in used and b not in used:
            used.update((a, b))
            pairs.append((a, b))
    return pairs


# --- lint --base ---------------------------------------------------------------


def version_findings(registry: Registry, base: str | None = None) -> list[Finding]:
    """Return the version findings of the working tree against `base`: bump rules, tagged content."""
    diff = diff_refs(registry, base, strict=False)
    out: list[Finding] = []
    for change in diff.prompts:
        if change.new_path is None or change.old_version is None or change.new_version is None:
            continue
        line = change.version_line
        if change.bump == "downgrade":
            out.append(
                Finding(
                    "PO102",
                    "version-decreased",
                    "error",
                    change.new_path,
                    line,
                    f"version went down from {change.old_version} to {change.new_version} (base {diff.base})",
                    hint="versions only go up",
                )
            )
        elif not change.bump_ok:
            wanted = next_version(change.old_version, change.required)
            made = "was not bumped" if change.bump == "none" else f"got a {change.bump} bump"
            out.append(
                Finding(
                    "PO101",
                    "version-bump-insufficient",
                    "error",
                    change.new_path,
                    line,
                    f"{', '.join(change.reasons)} since {diff.base} but version {change.new_version} {made}; "
                    f"needs a {change.required} bump",
                    hint=f"set `version: {wanted}` (from {change.old_version})",
                )
            )
    return out + tagged_findings(registry)


def tagged_findings(registry: Registry) -> list[Finding]:
    """Return a finding for each working-tree prompt whose version is tagged with other content."""
    out = []
    tags = {t.name: t for t in registry.history.tags()}
    for name, source in sorted(registry.sources(None).items()):
        try:
            spec = _parse(source)
        except PromptOpsError:
            continue  # lint reports the file itself
        tag = tags.get(tag_name(registry.project.config, name, spec.version))
        if tag is None:
            continue
        raw = registry.history.read_file(tag.sha, source.path)
        if raw is not None and _content(raw, f"{tag.name}:{source.path}") == spec.content():
            continue
        bumped = next_version(spec.version, "patch")
        out.append(
            Finding(
                "PO103",
                "tagged-version-changed",
                "error",
                source.path,
                spec.lines.get("version"),
                f"version {spec.version} is released as tag {tag.name} but the content differs from the tag",
                hint=f"a released version never changes: bump it (to {bumped} or more)",
            )
        )
    return out


def _content(raw: bytes, label: str) -> dict[str, object] | None:
    try:
        return read_prompt(raw, label).content()
    except PromptOpsError:
        return None
