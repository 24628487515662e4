"""Semantic diff of prompt versions and the semver bump rules (DESIGN.md §2)."""

from __future__ import annotations

from typing import Any

import pytest

from promptops.prompts.diff import FieldChange, SchemaChange, bump_made, compare, message_diffs, next_version
from promptops.prompts.promptfile import read_prompt
from promptops.spec import Message, PromptSpec
from support.promptfiles import prompt_yaml


def spec(**kw: Any) -> PromptSpec:
    return read_prompt(prompt_yaml(**kw).encode(), "prompts/order-id.yaml")


@pytest.mark.parametrize(
    ("old", "new", "made"),
    [
        ("1.0.0", "1.0.0", "none"),
        ("1.0.0", "1.0.1", "patch"),
        ("1.0.9", "1.1.0", "minor"),
        ("1.4.2", "2.0.0", "major"),
        ("1.1.0", "1.0.9", "downgrade"),
        ("1.0.0", "1.0.0-rc.1", "downgrade"),
        ("1.0.0-rc.1", "1.0.0", "patch"),
    ],
)
def test_bump_made(old: str, new: str, made: str) -> None:
    assert bump_made(old, new) == made


def test_next_version() -> None:
    assert [next_version("1.2.3", b) for b in ("patch", "minor", "major")] == ["1.2.4", "1.3.0", "2.0.0"]


def test_identical_specs_need_nothing() -> None:
    change = compare(spec(), spec())
    assert (change.required, change.bump, change.bump_ok, change.messages, change.fields) == (
        "none",
        "none",
        True,
        (),
        (),
    )


def test_message_change_needs_minor() -> None:
    change = compare(spec(), spec(version="1.0.1", system="Extract the order ID. Reply with NONE if absent."))
    assert (change.required, change.bump, change.bump_ok) == ("minor", "patch", False)
    assert change.reasons == ("messages changed",)
    assert change.messages[0].unified == (
        "--- a/messages[0] (system)\n"
        "+++ b/messages[0] (system)\n"
        "@@ -1 +1 @@\n"
        "-Extract the order ID. Reply with the ID only.\n"
        "+Extract the order ID. Reply with NONE if absent.\n"
    )
    assert compare(spec(), spec(version="1.1.0", system="x")).bump_ok


def test_model_params_fallbacks_are_field_changes() -> None:
    change = compare(spec(), spec(version="1.1.0", model="openai/gpt-4o-2024-08-06", temperature=0.3))
    assert change.fields == (
        FieldChange(path="model", old="openai/gpt-4o-mini-2024-07-18", new="openai/gpt-4o-2024-08-06"),
        FieldChange(path="params.temperature", old=0, new=0.3),
    )
    assert (change.required, change.bump_ok, change.reasons) == (
        "minor",
        True,
        ("model changed", "params changed"),
    )
    assert change.messages == ()


def test_metadata_needs_patch() -> None:
    change = compare(spec(), spec(description="Find order IDs."))
    assert change.metadata == (
        FieldChange(
            path="description", old="Extract the order ID from a customer message.", new="Find order IDs."
        ),
    )
    assert (change.required, change.bump, change.bump_ok) == ("patch", "none", False)
    assert compare(spec(), spec(version="1.0.1", description="Find order IDs.")).bump_ok


def test_new_required_variable_is_breaking() -> None:
    props = {"message": {"type": "string", "minLength": 1}, "locale": {"type": "string"}}
    change = compare(spec(), spec(version="1.1.0", required=("message", "locale"), properties=props))
    assert change.schema == (
        SchemaChange(
            field="inputs",
            path="inputs.required.locale",
            change="new required variable 'locale'",
            breaking=True,
        ),
    )
    assert (change.required, change.bump_ok, change.breaking) == ("major", False, True)
    assert compare(spec(), spec(version="2.0.0", required=("message", "locale"), properties=props)).bump_ok


def test_removed_and_retyped_variables_are_breaking() -> None:
    old = spec(required=("message",), properties={"message": {"type": "string"}, "n": {"type": "integer"}})
    new = spec(required=("message",), properties={"message": {"type": "array"}})
    assert [(c.change, c.breaking) for c in compare(old, new).schema] == [
        ("removed variable 'n'", True),
        ("variable 'message' changed type string -> array", True),
    ]


def test_compatible_input_changes_need_minor() -> None:
    old = spec(
        required=("message", "tone"), properties={"message": {"type": "string"}, "tone": {"type": "string"}}
    )
    new = spec(
        version="1.1.0",
        required=("message",),
        properties={
            "message": {"type": "string", "maxLength": 500},
            "tone": {"type": "string"},
            "locale": {"type": "string"},
        },
    )
    change = compare(old, new)
    assert [(c.path, c.change, c.breaking) for c in change.schema] == [
        ("inputs.properties.message", "variable 'message' constraints changed: maxLength", False),
        ("inputs.properties.locale", "new optional variable 'locale'", False),
        ("inputs.required.tone", "variable 'tone' is no longer required", False),
    ]
    assert (change.required, change.bump_ok) == ("minor", True)


def test_output_changes() -> None:
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "ok": {"type": "boolean"}},
    }
    text_to_json = compare(spec(), spec(version="1.1.0", output={"format": "json", "schema": schema}))
    assert [(c.change, c.breaking) for c in text_to_json.schema] == [
        ("output format text -> json", True),
        ("output schema added", False),
    ]
    assert text_to_json.required == "major"
    narrower = {"type": "object", "properties": {"id": {"type": "integer"}, "extra": {"type": "string"}}}
    change = compare(
        spec(output={"format": "json", "schema": schema}),
        spec(version="2.0.0", output={"format": "json", "schema": narrower}),
    )
    assert [(c.change, c.breaking) for c in change.schema] == [
        ("removed field 'ok'", True),
        ("field 'id' changed type string -> integer", True),
        ("field 'id' is no longer required", True),
        ("new field 'extra'", False),
    ]
    assert change.bump_ok


def test_messages_align_by_role_and_text() -> None:
    old = (Message(role="system", content="Be brief."), Message(role="user", content="{{ q }}"))
    new = (
        Message(role="system", content="Be brief."),
        Message(role="assistant", content="Sure."),
        Message(role="user", content="{{ q }}"),
    )
    (added,) = message_diffs(old, new)
    assert (added.status, added.old_index, added.new_index, added.new_role) == ("added", None, 1, "assistant")
    assert added.unified == "--- /dev/null\n+++ b/messages[1] (assistant)\n@@ -0,0 +1 @@\n+Sure.\n"
    (role,) = message_diffs(old, (Message(role="developer", content="Be brief."), old[1]))
    assert role.unified == (
        "--- a/messages[0] (system)\n+++ b/messages[0] (developer)\n@@ -1,2 +1,2 @@\n-[system]\n+[developer]\n Be brief.\n"
    )
    (removed,) = message_diffs(new, old)
    assert (removed.status, removed.old_index, removed.old_role) == ("removed", 1, "assistant")


def test_example_rendered_before_and_after() -> None:
    change = compare(spec(), spec(version="1.1.0", user="Customer says: {{ message }}"))
    assert change.example is not None
    assert dict(change.example.values) == {"message": "Where is ORD-12345?"}
    assert change.example.before is not None and change.example.after is not None
    assert change.example.before.messages[1].content == "Message: Where is ORD-12345?"
    assert change.example.after.messages[1].content == "Customer says: Where is ORD-12345?"


def test_example_that_does_not_render_is_reported_not_raised() -> None:
    props = {"message": {"type": "string"}, "locale": {"type": "string"}}
    change = compare(spec(), spec(version="2.0.0", required=("message", "locale"), properties=props))
    assert change.example is not None and change.example.after is not None
    assert change.example.after.error is not None and "locale" in change.example.after.error


def test_added_and_removed_prompts() -> None:
    added = compare(None, spec())
    assert (added.status, added.old_version, added.new_version, added.bump_ok) == (
        "added",
        None,
        "1.0.0",
        True,
    )
    assert [m.status for m in added.messages] == ["added", "added"]
    removed = compare(spec(), None)
    assert (removed.status, removed.new_path, removed.old_path) == ("removed", None, "prompts/order-id.yaml")
