"""The version rules of `lint --base` (PO101-PO103): bumps against the base, released content unchanged."""

from __future__ import annotations

from promptops.errors import PromptOpsError
from promptops.prompts.diff import diff_refs, next_version
from promptops.prompts.finding import Finding, Rule
from promptops.prompts.promptfile import ToolSource, read_prompt
from promptops.prompts.registry import Registry, tag_name

INSUFFICIENT = Rule(
    code="PO101",
    slug="version-bump-insufficient",
    severity="error",
    summary="a change needs a bigger version bump than it got",
)
DECREASED = Rule(
    code="PO102",
    slug="version-decreased",
    severity="error",
    summary="the version went down against the base ref",
)
TAGGED = Rule(
    code="PO103",
    slug="tagged-version-changed",
    severity="error",
    summary="a released (tagged) version's content changed",
)
RULES = (INSUFFICIENT, DECREASED, TAGGED)


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
                DECREASED.finding(
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
                INSUFFICIENT.finding(
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
            spec = read_prompt(source.raw, source.label, source.tools)
        except PromptOpsError:
            continue  # lint reports the file itself
        tag = tags.get(tag_name(registry.project.config, name, spec.version))
        if tag is None:
            continue
        raw = registry.history.read_file(tag.sha, source.path)
        at_tag = registry.tool_source(tag.sha, tag.name)
        if raw is not None and _content(raw, f"{tag.name}:{source.path}", at_tag) == spec.content():
            continue
        bumped = next_version(spec.version, "patch")
        out.append(
            TAGGED.finding(
                source.path,
                spec.lines.get("version"),
                f"version {spec.version} is released as tag {tag.name} but the content differs from the tag",
                hint=f"a released version never changes: bump it (to {bumped} or more)",
            )
        )
    return out


def _content(raw: bytes, label: str, tools: ToolSource) -> dict[str, object] | None:
    try:
        return read_prompt(raw, label, tools).content()
    except PromptOpsError:
        return None
