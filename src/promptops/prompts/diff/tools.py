"""Changes to a prompt's tools, tool choice, output mode and config, each with the bump it needs
(DESIGN.md §9.1): breaking (major) or compatible (minor)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptops.prompts.diff.schema import SchemaChange, deep_changes
from promptops.spec import PromptSpec, Tool

SECTIONS = ("tools", "tool_choice", "output", "config")


def tool_changes(old: PromptSpec, new: PromptSpec) -> tuple[SchemaChange, ...]:
    """Return the tools, tool_choice, output mode and config changes from `old` to `new`."""
    out = _tools(old.tools, new.tools)
    out += _choice(old.tool_choice, new.tool_choice)
    out += _output_mode(old.output, new.output)
    out += _config(old, new)
    return tuple(out)


def _change(field: str, path: str, change: str, breaking: bool) -> SchemaChange:
    return SchemaChange(field=field, path=path, change=change, breaking=breaking)


def _tools(old: tuple[Tool, ...], new: tuple[Tool, ...]) -> list[SchemaChange]:
    a, b = {t.name: t for t in old}, {t.name: t for t in new}
    out = [_change("tools", f"tools.{n}", f"removed tool '{n}'", True) for n in sorted(set(a) - set(b))]
    for name in sorted(set(a) & set(b)):
        out += _tool(a[name], b[name])
    out += [_change("tools", f"tools.{n}", f"new tool '{n}'", False) for n in sorted(set(b) - set(a))]
    return out


def _tool(a: Tool, b: Tool) -> list[SchemaChange]:
    at, name = f"tools.{a.name}", a.name
    out: list[SchemaChange] = []
    if a.description != b.description:
        out.append(_change("tools", f"{at}.description", f"tool '{name}' description changed", False))
    if a.strict != b.strict:
        out.append(_change("tools", f"{at}.strict", f"tool '{name}' strict {a.strict} -> {b.strict}", False))
    pa, pb = dict(a.parameters), dict(b.parameters)
    props_a, req_a = _props(pa)
    props_b, req_b = _props(pb)
    for p in sorted(set(props_a) - set(props_b)):
        out.append(_change("tools", f"{at}.parameters.{p}", f"tool '{name}' removed parameter '{p}'", True))
    for p in sorted(req_b - req_a):
        what = "new required parameter" if p not in props_a else "parameter now required"
        out.append(_change("tools", f"{at}.parameters.required.{p}", f"tool '{name}' {what} '{p}'", True))
    for p in sorted(set(props_a) & set(props_b)):
        out += _parameter(name, at, p, props_a[p], props_b[p])
    for p in sorted(set(props_b) - set(props_a) - req_b):
        out.append(
            _change("tools", f"{at}.parameters.{p}", f"tool '{name}' new optional parameter '{p}'", False)
        )
    for p in sorted((req_a - req_b) & set(props_b)):
        what = f"tool '{name}' parameter '{p}' no longer required"
        out.append(_change("tools", f"{at}.parameters.required.{p}", what, False))
    rest_a = {k: v for k, v in pa.items() if k not in ("properties", "required")}
    rest_b = {k: v for k, v in pb.items() if k not in ("properties", "required")}
    if rest_a != rest_b:
        paths = ", ".join(c.path for c in deep_changes(rest_a, rest_b, ()))
        out.append(_change("tools", f"{at}.parameters", f"tool '{name}' parameters changed: {paths}", False))
    return out


def _parameter(tool: str, at: str, name: str, a: Any, b: Any) -> list[SchemaChange]:
    if a == b or not isinstance(a, Mapping) or not isinstance(b, Mapping):
        return (
            []
            if a == b
            else [
                _change("tools", f"{at}.parameters.{name}", f"tool '{tool}' parameter '{name}' changed", True)
            ]
        )
    where, label = f"{at}.parameters.{name}", f"tool '{tool}' parameter '{name}'"
    out = []
    types_a, types_b = _accepts(a.get("type")), _accepts(b.get("type"))
    if a.get("type") != b.get("type"):
        wider = types_b is None or (types_a is not None and types_a <= types_b)
        what = f"{label} type {_shown(a.get('type'))} -> {_shown(b.get('type'))}"
        out.append(
            _change("tools", f"{where}.type", what + (" (widened)" if wider else " (narrowed)"), not wider)
        )
    enum_a, enum_b = a.get("enum"), b.get("enum")
    if enum_a != enum_b:
        narrowed = enum_b is not None and (enum_a is None or any(v not in enum_b for v in enum_a))
        what = f"{label} enum {'narrowed' if narrowed else 'widened'}"
        out.append(_change("tools", f"{where}.enum", what, narrowed))
    if dict(a, type=None, enum=None, description=None) != dict(b, type=None, enum=None, description=None):
        paths = ", ".join(c.path for c in deep_changes(_rest(a), _rest(b), ()))
        out.append(_change("tools", where, f"{label} constraints changed: {paths}", False))
    if a.get("description") != b.get("description"):
        out.append(_change("tools", f"{where}.description", f"{label} description changed", False))
    return out


def _rest(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in ("type", "enum", "description")}


def _accepts(value: Any) -> frozenset[str] | None:
    """Return the JSON types a `type` accepts (an integer is a number); None: any type."""
    if value is None:
        return None
    names = set(value if isinstance(value, list) else [value])
    if "number" in names:
        names.add("integer")
    return frozenset(names)


def _shown(value: Any) -> str:
    return "any" if value is None else "|".join(value) if isinstance(value, list) else str(value)


def _props(schema: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    props, required = schema.get("properties"), schema.get("required")
    return (dict(props) if isinstance(props, Mapping) else {}), set(
        required if isinstance(required, list) else []
    )


def _choice_text(choice: Any) -> str:
    if choice is None:
        return "auto (default)"
    return choice if isinstance(choice, str) else f"{{name: {choice.get('name')}}}"


def _choice(a: Any, b: Any) -> list[SchemaChange]:
    if a == b:
        return []
    forcing = b == "required" or isinstance(b, Mapping)
    what = f"tool_choice {_choice_text(a)} -> {_choice_text(b)}"
    return [_change("tool_choice", "tool_choice", what, forcing)]


def _output_mode(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[SchemaChange]:
    out = []
    if bool(a.get("strict")) != bool(b.get("strict")):
        what = f"output strict {bool(a.get('strict'))} -> {bool(b.get('strict'))}"
        out.append(_change("output", "output.strict", what, False))
    if a.get("name") != b.get("name"):
        out.append(_change("output", "output.name", f"output name {a.get('name')} -> {b.get('name')}", False))
    return out


def _config(old: PromptSpec, new: PromptSpec) -> list[SchemaChange]:
    a, b = dict(old.config or {}), dict(new.config or {})
    out = []
    for change in deep_changes(a, b, ("config",)) if a != b else []:
        if change.new is None and change.old is not None:
            out.append(_change("config", change.path, f"removed config key {change.path}", True))
        elif change.old is None:
            out.append(_change("config", change.path, f"new config key {change.path}", False))
        else:
            out.append(_change("config", change.path, f"config value {change.path} changed", False))
    if old.config_schema != new.config_schema:
        out.append(_change("config", "config_schema", "config_schema changed", False))
    return out
