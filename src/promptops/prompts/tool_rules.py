"""Lint rules for tool-using prompts (DESIGN.md §9.1): provider strict-mode schema rules (PO011) and
what the model and every fallback support, read from litellm's model map as data (PO012)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from promptops.prompts import catalog
from promptops.prompts.finding import Finding, Rule
from promptops.spec import PromptSpec

STRICT = Rule(
    code="PO011",
    slug="strict-schema",
    severity="error",
    summary="a strict tool or strict output schema breaks the provider's strict-mode rules",
)
CAPABILITY = Rule(
    code="PO012",
    slug="model-capability",
    severity="error",
    summary="the model or a fallback does not support what the prompt uses (tools, images, strict output)",
)
UNKNOWN_CAPABILITY = Rule(
    code="PO012",
    slug="model-capability",
    severity="warning",
    summary=CAPABILITY.summary,
)

# what a prompt may use -> the litellm model-map key that says a model supports it
FEATURES = {
    "tools": "supports_function_calling",
    "parallel tool calls": "supports_parallel_function_calling",
    "tool_choice": "supports_tool_choice",
    "strict response schema": "supports_response_schema",
    "images": "supports_vision",
}


def strict_findings(spec: PromptSpec, label: str) -> Iterator[Finding]:
    """Strict mode (OpenAI structured outputs): every object closes with `additionalProperties: false`
    and lists every property in `required`, at every level."""
    for i, tool in enumerate(spec.tools):
        if tool.strict:
            where = f"tools[{i}].parameters" + (
                f" (tool '{tool.name}' from use: {tool.use})" if tool.use else ""
            )
            for problem in _strict_problems(tool.parameters, ""):
                yield STRICT.finding(label, spec.lines.get(f"tools.{i}"), f"{where}{problem}", _HINT)
    if spec.output.get("strict") and isinstance(spec.output.get("schema"), Mapping):
        for problem in _strict_problems(spec.output["schema"], ""):
            yield STRICT.finding(label, spec.lines.get("output.schema"), f"output.schema{problem}", _HINT)


_HINT = (
    "strict mode needs `additionalProperties: false` and every property in `required` "
    "(give an optional one a null type)"
)


def _strict_problems(schema: Any, at: str) -> list[str]:
    if not isinstance(schema, Mapping):
        return []
    out: list[str] = []
    properties = schema.get("properties")
    if schema.get("type") == "object" or isinstance(properties, Mapping):
        if schema.get("additionalProperties") is not False:
            out.append(f"{at}: strict mode needs `additionalProperties: false`")
        names = list(properties) if isinstance(properties, Mapping) else []
        listed = schema.get("required")
        required: list[Any] = listed if isinstance(listed, list) else []
        missing = [n for n in names if n not in required]
        if missing:
            out.append(f"{at}: strict mode needs every property required (missing: {', '.join(missing)})")
        for name in names:
            out += _strict_problems(properties[name], f"{at}.properties.{name}")  # type: ignore[index]
    if isinstance(schema.get("items"), Mapping):
        out += _strict_problems(schema["items"], f"{at}.items")
    for key in ("anyOf", "oneOf", "allOf"):
        for k, option in enumerate(schema.get(key) or []):
            out += _strict_problems(option, f"{at}.{key}[{k}]")
    return out


def used_features(spec: PromptSpec) -> list[str]:
    """Return what the prompt needs its models to support, in FEATURES order."""
    used = []
    if spec.tools:
        used.append("tools")
    if spec.params.get("parallel_tool_calls") or any(len(m.tool_calls) > 1 for m in spec.messages):
        used.append("parallel tool calls")
    if spec.tool_choice not in (None, "auto"):
        used.append("tool_choice")
    if spec.response_format() is not None:
        used.append("strict response schema")
    if any(p.type == "image" for m in spec.messages for p in m.parts):
        used.append("images")
    return used


def capability_findings(spec: PromptSpec, label: str) -> Iterator[Finding]:
    """Every model of the fallback chain must support what the prompt uses; unknown: a warning."""
    used = used_features(spec)
    if not used:
        return
    chain = [
        ("model", "model", spec.model),
        *((f"fallbacks[{i}]", f"fallbacks.{i}", m) for i, m in enumerate(spec.fallbacks)),
    ]
    for shown, key, model in chain:
        support = catalog.capabilities(model)
        line = spec.lines.get(key)
        lacking = [f for f in used if support.get(FEATURES[f]) is False]
        unknown = [f for f in used if support.get(FEATURES[f]) is None]
        if lacking:
            yield CAPABILITY.finding(
                label,
                line,
                f"{shown}: '{model}' does not support {', '.join(lacking)} (litellm's model map)",
                "choose a model that supports them, or drop it from the fallback chain",
            )
        if unknown:
            yield UNKNOWN_CAPABILITY.finding(
                label,
                line,
                f"{shown}: cannot tell whether '{model}' supports {', '.join(unknown)} "
                "(not listed in litellm's model map)",
            )


def image_problems(spec: PromptSpec, root: Path) -> Iterator[tuple[str, int | None, str]]:
    """Yield (key path, line, problem) for each image `path:` that render could not read."""
    from promptops.errors import InputError
    from promptops.prompts.messages import data_url

    for i, message in enumerate(spec.messages):
        for k, part in enumerate(message.parts):
            if part.path is None:
                continue
            try:
                data_url(part.path, root, "")
            except InputError as exc:
                yield f"messages[{i}].content[{k}].path", part.line, exc.message.split(": ", 1)[-1]
