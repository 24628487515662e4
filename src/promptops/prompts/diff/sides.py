"""The prompt changes between two sides of a repository (renames detected)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from promptops.errors import PromptOpsError, RefError, UnknownPromptError
from promptops.prompts.diff.compare import Diff, PromptDiff, compare, is_unchanged
from promptops.prompts.gitstore import SHALLOW_HINT
from promptops.prompts.promptfile import read_prompt
from promptops.prompts.registry import History, Registry, Source
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
            # the same bytes are the same prompt, unless a shared `use:` tool changed under them
            if (a.raw == b.raw and b"use:" not in a.raw) or (wanted and name not in wanted):
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
    return read_prompt(source.raw, source.label, source.tools)


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
