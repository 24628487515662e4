"""Rendered messages: their reading text, `{history: VAR}` values checked one by one, image paths read safely."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from promptops.errors import InputError
from promptops.prompts.messages import (
    MAX_IMAGE_BYTES,
    RenderedMessage,
    data_url,
    history_messages,
    plain_data,
)
from promptops.spec import Message, PromptSpec

SPEC = PromptSpec(name="chat", version="1.0.0", model="m", messages=(Message(role="user", content="hi"),))


def test_text_shows_parts_images_and_tool_calls() -> None:
    long_url = "https://example.com/" + "a" * 40
    message = RenderedMessage(
        role="user",
        content="ignored when there are parts",
        parts=(
            {"type": "text", "text": "look\n"},
            {"type": "image_url", "image_url": {"url": "https://x/a.png"}},
            {"type": "image_url", "image_url": {"url": long_url}},
            {"type": "image_url"},
        ),
    )
    assert message.text().splitlines() == [
        "look",
        "[image https://x/a.png]",
        f"[image {long_url[:40]}...]",
        "[image ]",
    ]
    call = RenderedMessage(
        role="assistant",
        content="",
        tool_calls=(
            {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"id": "x"}'}},
        ),
    )
    assert call.text() == '[tool call c1] lookup({"id": "x"})'
    assert call.as_dict()["content"] is None and not call.plain


def history(value: Any) -> list[RenderedMessage]:
    return history_messages(SPEC, "turns", {"turns": value})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "variable 'turns' is required by chat (its history placeholder)"),
        ({"turns": "hello"}, "variable 'turns' of chat: expected a list of messages"),
        (
            {"turns": ["hi"]},
            "variable 'turns' of chat: [0]: expected a message with a role of system, user, assistant, tool",
        ),
        (
            {"turns": [{"role": "user", "content": "a"}, {"role": "robot", "content": "b"}]},
            "variable 'turns' of chat: [1]: expected a message with a role of system, user, assistant, tool",
        ),
        (
            {"turns": [{"role": "user", "content": 3}]},
            "variable 'turns' of chat: [0]: content must be text or a list of parts",
        ),
        (
            {"turns": [{"role": "assistant"}]},
            "variable 'turns' of chat: [0]: content must be text or a list of parts",
        ),
        (
            {"turns": [{"role": "tool", "content": "ok"}]},
            "variable 'turns' of chat: [0]: a tool message needs its tool_call_id",
        ),
    ],
)
def test_bad_history_values_are_named(values: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as caught:
        history_messages(SPEC, "turns", values)
    assert str(caught.value) == message


def test_history_messages_keep_parts_calls_and_ids() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    turns = (
        {
            "role": "user",
            "content": [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "u"}}],
        },
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "content": "ok", "tool_call_id": "c1"},
    )
    user, assistant, tool = history(turns)
    assert (user.content, len(user.parts)) == ("a", 2)
    assert assistant.as_dict() == {"role": "assistant", "content": None, "tool_calls": [call]}
    assert tool.as_dict() == {"role": "tool", "content": "ok", "tool_call_id": "c1"}


def test_image_paths_are_checked(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "a.png").write_bytes(b"\x89PNG")
    (tmp_path / "outside.png").write_bytes(b"x")
    big = root / "big.gif"
    with big.open("wb") as handle:
        handle.truncate(MAX_IMAGE_BYTES + 1)
    cases = {
        ("a.png", None): "m[0]: image path 'a.png' needs the project to read it",
        ("a.bmp", root): "m[0]: image path 'a.bmp': expected one of .gif, .jpeg, .jpg, .png, .webp",
        ("../outside.png", root): "m[0]: image path '../outside.png' leaves the project root",
        ("gone.jpg", root): "m[0]: image path 'gone.jpg': no such file",
        ("big.gif", root): f"m[0]: image path 'big.gif' is larger than {MAX_IMAGE_BYTES} bytes",
    }
    for (path, where), message in cases.items():
        with pytest.raises(InputError) as caught:
            data_url(path, where, "m[0]")
        assert str(caught.value) == message
    assert data_url("a.png", root, "m[0]") == "data:image/png;base64," + base64.b64encode(b"\x89PNG").decode(
        "ascii"
    )


def test_plain_data_turns_tuples_and_mappings_into_json_data() -> None:
    from types import MappingProxyType

    assert plain_data(MappingProxyType({"a": (1, {"b": (2,)})})) == {"a": [1, {"b": [2]}]}
