"""The bump each change to a prompt's tools, tool_choice, output mode and config needs (DESIGN.md §9.1)."""

from __future__ import annotations

from typing import Any

from promptops.prompts.diff.tools import tool_changes
from promptops.spec import Message, PromptSpec, Tool


def spec(**kw: Any) -> PromptSpec:
    return PromptSpec(
        name="p", version="1.0.0", model="m", messages=(Message(role="user", content="hi"),), **kw
    )


def tool(name: str = "lookup", **kw: Any) -> Tool:
    return Tool(name=name, **{"parameters": {"type": "object", "properties": {}}, **kw})


def changes(old: PromptSpec, new: PromptSpec) -> list[tuple[str, str, bool]]:
    return [(c.path, c.change, c.breaking) for c in tool_changes(old, new)]


def params(props: dict[str, Any], required: list[str] | None = None, **rest: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props, **rest}
    if required is not None:
        out["required"] = required
    return out


def test_identical_tools_make_no_change() -> None:
    assert changes(spec(tools=(tool(),)), spec(tools=(tool(),))) == []


def test_description_and_strict_changes_are_compatible() -> None:
    old = spec(tools=(tool(description="a"),))
    new = spec(tools=(tool(description="b", strict=True),))
    assert changes(old, new) == [
        ("tools.lookup.description", "tool 'lookup' description changed", False),
        ("tools.lookup.strict", "tool 'lookup' strict None -> True", False),
    ]


def test_removed_parameter_and_newly_required_parameters_are_breaking() -> None:
    old = spec(tools=(tool(parameters=params({"a": {"type": "string"}, "b": {"type": "string"}})),))
    new = spec(
        tools=(tool(parameters=params({"b": {"type": "string"}, "c": {"type": "string"}}, ["b", "c"])),)
    )
    assert changes(old, new) == [
        ("tools.lookup.parameters.a", "tool 'lookup' removed parameter 'a'", True),
        ("tools.lookup.parameters.required.b", "tool 'lookup' parameter now required 'b'", True),
        ("tools.lookup.parameters.required.c", "tool 'lookup' new required parameter 'c'", True),
    ]


def test_new_optional_and_no_longer_required_parameters_are_compatible() -> None:
    old = spec(tools=(tool(parameters=params({"a": {"type": "string"}}, ["a"])),))
    new = spec(tools=(tool(parameters=params({"a": {"type": "string"}, "z": {"type": "string"}}, [])),))
    assert changes(old, new) == [
        ("tools.lookup.parameters.z", "tool 'lookup' new optional parameter 'z'", False),
        ("tools.lookup.parameters.required.a", "tool 'lookup' parameter 'a' no longer required", False),
    ]


def test_other_schema_keys_are_named_by_path() -> None:
    old = spec(tools=(tool(parameters=params({}, additionalProperties=True)),))
    new = spec(tools=(tool(parameters=params({}, additionalProperties=False)),))
    assert changes(old, new) == [
        ("tools.lookup.parameters", "tool 'lookup' parameters changed: additionalProperties", False)
    ]


def test_parameter_that_is_not_a_schema_changed_is_breaking() -> None:
    old = spec(tools=(tool(parameters=params({"a": True})),))
    new = spec(tools=(tool(parameters=params({"a": False})),))
    assert changes(old, new) == [("tools.lookup.parameters.a", "tool 'lookup' parameter 'a' changed", True)]


def one_param(schema: dict[str, Any]) -> PromptSpec:
    return spec(tools=(tool(parameters=params({"n": schema})),))


def test_type_widened_is_compatible_and_narrowed_is_breaking() -> None:
    widened = changes(one_param({"type": "integer"}), one_param({"type": ["number", "null"]}))
    assert widened == [
        (
            "tools.lookup.parameters.n.type",
            "tool 'lookup' parameter 'n' type integer -> number|null (widened)",
            False,
        )
    ]
    narrowed = changes(one_param({"type": "number"}), one_param({"type": "string"}))
    assert narrowed == [
        (
            "tools.lookup.parameters.n.type",
            "tool 'lookup' parameter 'n' type number -> string (narrowed)",
            True,
        )
    ]
    to_any = changes(one_param({"type": "string"}), one_param({}))
    assert to_any == [
        ("tools.lookup.parameters.n.type", "tool 'lookup' parameter 'n' type string -> any (widened)", False)
    ]
    from_any = changes(one_param({}), one_param({"type": "string"}))
    assert from_any == [
        ("tools.lookup.parameters.n.type", "tool 'lookup' parameter 'n' type any -> string (narrowed)", True)
    ]


def test_enum_narrowed_is_breaking_and_widened_is_compatible() -> None:
    base = {"type": "string", "enum": ["a", "b"]}
    assert changes(one_param(base), one_param({"type": "string", "enum": ["a"]})) == [
        ("tools.lookup.parameters.n.enum", "tool 'lookup' parameter 'n' enum narrowed", True)
    ]
    assert changes(one_param(base), one_param({"type": "string", "enum": ["a", "b", "c"]})) == [
        ("tools.lookup.parameters.n.enum", "tool 'lookup' parameter 'n' enum widened", False)
    ]
    assert changes(one_param(base), one_param({"type": "string"})) == [
        ("tools.lookup.parameters.n.enum", "tool 'lookup' parameter 'n' enum widened", False)
    ]
    assert changes(one_param({"type": "string"}), one_param(base)) == [
        ("tools.lookup.parameters.n.enum", "tool 'lookup' parameter 'n' enum narrowed", True)
    ]


def test_parameter_constraints_and_description() -> None:
    old = one_param({"type": "string", "maxLength": 5, "description": "x"})
    new = one_param({"type": "string", "maxLength": 9, "description": "y"})
    assert changes(old, new) == [
        ("tools.lookup.parameters.n", "tool 'lookup' parameter 'n' constraints changed: maxLength", False),
        ("tools.lookup.parameters.n.description", "tool 'lookup' parameter 'n' description changed", False),
    ]


def test_tool_choice_forcing_a_tool_is_breaking() -> None:
    assert changes(spec(), spec(tool_choice="required")) == [
        ("tool_choice", "tool_choice auto (default) -> required", True)
    ]
    assert changes(spec(tool_choice="auto"), spec(tool_choice={"name": "lookup"})) == [
        ("tool_choice", "tool_choice auto -> {name: lookup}", True)
    ]
    assert changes(spec(tool_choice={"name": "lookup"}), spec(tool_choice="none")) == [
        ("tool_choice", "tool_choice {name: lookup} -> none", False)
    ]


def test_output_strict_and_name_are_compatible() -> None:
    old = spec(output={"format": "json"})
    new = spec(output={"format": "json", "strict": True, "name": "answer"})
    assert changes(old, new) == [
        ("output.strict", "output strict False -> True", False),
        ("output.name", "output name None -> answer", False),
    ]


def test_config_removed_key_is_breaking_new_and_changed_are_not() -> None:
    old = spec(config={"a": 1, "b": 2}, config_schema={"type": "object"})
    new = spec(config={"b": 3, "c": 4})
    assert changes(old, new) == [
        ("config.a", "removed config key config.a", True),
        ("config.b", "config value config.b changed", False),
        ("config.c", "new config key config.c", False),
        ("config_schema", "config_schema changed", False),
    ]
