"""Field and inputs/output schema changes between two prompt versions (the deepdiff user)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promptops.formats import key_path
from promptops.spec import PromptSpec


@dataclass(frozen=True, kw_only=True)
class FieldChange:
    """One changed value; `old`/`new` are None when absent on that side."""

    path: str
    old: Any
    new: Any


@dataclass(frozen=True, kw_only=True)
class SchemaChange:
    field: str  # inputs | output
    path: str
    change: str
    breaking: bool


def deep_changes(a: Any, b: Any, prefix: tuple[str | int, ...]) -> list[FieldChange]:
    """Return one FieldChange per changed leaf path between two JSON-like values."""
    from deepdiff import DeepDiff  # imported on first use: it costs ~0.1 s (numpy)

    tree = DeepDiff(a, b, view="tree", verbose_level=2)
    out = []
    for items in tree.values():
        for item in items:
            path = key_path((*prefix, *item.path(output_format="list")))
            out.append(FieldChange(path=path, old=_present(item.t1), new=_present(item.t2)))
    return sorted(out, key=lambda c: c.path)


def _present(value: Any) -> Any:
    from deepdiff.helper import NotPresent

    return None if isinstance(value, NotPresent) else value


def schema_changes(old: PromptSpec, new: PromptSpec) -> tuple[SchemaChange, ...]:
    """Return the inputs/output schema changes, each classified breaking or compatible."""
    changes = _inputs_changes(dict(old.inputs or {}), dict(new.inputs or {}))
    changes += _output_changes(dict(old.output), dict(new.output))
    return tuple(changes)


def _props(schema: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    props = schema.get("properties")
    required = schema.get("required")
    return (dict(props) if isinstance(props, dict) else {}), set(
        required if isinstance(required, list) else []
    )


def _type(prop: Any) -> Any:
    return prop.get("type") if isinstance(prop, dict) else None


def _inputs_changes(old: dict[str, Any], new: dict[str, Any]) -> list[SchemaChange]:
    (a, a_req), (b, b_req) = _props(old), _props(new)
    out = []
    for var in sorted(b_req - a_req):
        out.append(
            SchemaChange(
                field="inputs",
                path=f"inputs.required.{var}",
                change=f"new required variable '{var}'",
                breaking=True,
            )
        )
    for var in sorted(set(a) - set(b)):
        out.append(
            SchemaChange(
                field="inputs",
                path=f"inputs.properties.{var}",
                change=f"removed variable '{var}'",
                breaking=True,
            )
        )
    for var in sorted(set(a) & set(b)):
        if _type(a[var]) != _type(b[var]):
            what = f"variable '{var}' changed type {_type(a[var])} -> {_type(b[var])}"
            out.append(
                SchemaChange(field="inputs", path=f"inputs.properties.{var}.type", change=what, breaking=True)
            )
        elif a[var] != b[var]:
            out.append(_constraint("inputs", f"variable '{var}'", a[var], b[var], ("properties", var)))
    for var in sorted(set(b) - set(a) - b_req):
        out.append(
            SchemaChange(
                field="inputs",
                path=f"inputs.properties.{var}",
                change=f"new optional variable '{var}'",
                breaking=False,
            )
        )
    for var in sorted((a_req - b_req) & set(b)):
        out.append(
            SchemaChange(
                field="inputs",
                path=f"inputs.required.{var}",
                change=f"variable '{var}' is no longer required",
                breaking=False,
            )
        )
    out += _rest("inputs", old, new)
    return out


def _output_changes(old: dict[str, Any], new: dict[str, Any]) -> list[SchemaChange]:
    out = []
    if old.get("format") != new.get("format"):
        what = f"output format {old.get('format')} -> {new.get('format')}"
        out.append(SchemaChange(field="output", path="output.format", change=what, breaking=True))
    a_schema, b_schema = old.get("schema"), new.get("schema")
    if a_schema == b_schema:
        return out
    if not isinstance(b_schema, dict):
        return [
            *out,
            SchemaChange(field="output", path="output.schema", change="output schema removed", breaking=True),
        ]
    if not isinstance(a_schema, dict):
        return [
            *out,
            SchemaChange(field="output", path="output.schema", change="output schema added", breaking=False),
        ]
    (a, a_req), (b, b_req) = _props(a_schema), _props(b_schema)
    for field in sorted(set(a) - set(b)):
        out.append(
            SchemaChange(
                field="output",
                path=f"output.schema.properties.{field}",
                change=f"removed field '{field}'",
                breaking=True,
            )
        )
    for field in sorted(set(a) & set(b)):
        if _type(a[field]) != _type(b[field]):
            what = f"field '{field}' changed type {_type(a[field])} -> {_type(b[field])}"
            out.append(
                SchemaChange(
                    field="output", path=f"output.schema.properties.{field}.type", change=what, breaking=True
                )
            )
        elif a[field] != b[field]:
            out.append(
                _constraint("output", f"field '{field}'", a[field], b[field], ("schema", "properties", field))
            )
    for field in sorted((a_req - b_req) & set(b)):
        what = f"field '{field}' is no longer required"
        out.append(
            SchemaChange(field="output", path=f"output.schema.required.{field}", change=what, breaking=True)
        )
    for field in sorted(set(b) - set(a)):
        out.append(
            SchemaChange(
                field="output",
                path=f"output.schema.properties.{field}",
                change=f"new field '{field}'",
                breaking=False,
            )
        )
    for field in sorted((b_req - a_req) & set(a)):
        what = f"field '{field}' is now required"
        out.append(
            SchemaChange(field="output", path=f"output.schema.required.{field}", change=what, breaking=False)
        )
    return out + _rest("output.schema", a_schema, b_schema)


def _constraint(field: str, what: str, a: Any, b: Any, at: tuple[str, ...]) -> SchemaChange:
    paths = [c.path for c in deep_changes(a, b, ())]
    return SchemaChange(
        field=field,
        path=key_path((field, *at)),
        change=f"{what} constraints changed: {', '.join(paths)}",
        breaking=False,
    )


def _rest(field: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> list[SchemaChange]:
    """Return changes outside `properties`/`required`/`format` (compatible by the rules)."""
    skip = {"properties", "required", "format", "schema"}
    a_rest = {k: v for k, v in a.items() if k not in skip}
    b_rest = {k: v for k, v in b.items() if k not in skip}
    if a_rest == b_rest:
        return []
    return [
        SchemaChange(
            field=field.split(".", maxsplit=1)[0],
            path=key_path((*field.split("."), c.path)),
            change=f"{c.path} changed",
            breaking=False,
        )
        for c in deep_changes(a_rest, b_rest, ())
    ]
