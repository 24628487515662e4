"""A prompt file's messages: each shape rule and few-shot tool call check names its file, line and key."""

from __future__ import annotations

import pytest

from promptops.errors import FileFormatError
from promptops.prompts.promptfile import read_prompt

HEAD = """name: p
version: 1.0.0
model: openai/gpt-4o-mini
tools:
  - name: lookup
    parameters:
      type: object
      properties:
        id: {type: string}
      required: [id]
messages:
"""
CALL = "  - role: assistant\n    tool_calls: [{id: c1, name: lookup, arguments: {id: x}}]\n"
ANSWER = "  - {role: tool, tool_call_id: c1, content: ok}\n"


def problems(messages: str, head: str = HEAD) -> list[str]:
    with pytest.raises(FileFormatError) as caught:
        read_prompt((head + messages).encode(), "prompts/p.yaml")
    return caught.value.lines()


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (
            "  - {history: chat, role: user}\n",
            ["prompts/p.yaml:12: messages[0]: a history placeholder takes no other keys"],
        ),
        ("  - {content: hi}\n", ["prompts/p.yaml:12: messages[0]: missing required key 'role'"]),
        ("  - {role: user}\n", ["prompts/p.yaml:12: messages[0]: missing required key 'content'"]),
        (
            "  - role: system\n    content:\n      - {type: text, text: hi}\n",
            ["prompts/p.yaml:13: messages[0].content: only user messages have content parts; write text"],
        ),
        (
            "  - role: user\n    content: hi\n    tool_calls: [{id: c1, name: lookup, arguments: {id: x}}]\n",
            [
                "prompts/p.yaml:14: messages[0].tool_calls: only assistant messages make tool calls",
                "prompts/p.yaml:14: messages[0].tool_calls[0].id: call 'c1' has no tool message answering it",
            ],
        ),
        (
            "  - {role: tool, content: hi}\n",
            ["prompts/p.yaml:12: messages[0]: missing required key 'tool_call_id' (the call it answers)"],
        ),
        (
            "  - {role: tool, content: hi, tool_call_id: zz}\n",
            ["prompts/p.yaml:12: messages[0].tool_call_id: 'zz' answers no earlier assistant tool call"],
        ),
        (
            CALL + "  - role: tool\n    tool_call_id: c1\n    content: [{type: text, text: hi}]\n",
            ["prompts/p.yaml:16: messages[1].content: a tool result is text"],
        ),
        (
            "  - {role: user, content: hi, tool_call_id: c1}\n",
            ["prompts/p.yaml:12: messages[0].tool_call_id: only tool messages answer a tool call"],
        ),
        (
            CALL,
            ["prompts/p.yaml:13: messages[0].tool_calls[0].id: call 'c1' has no tool message answering it"],
        ),
        (
            "  - role: user\n    content: [{type: text}]\n",
            ["prompts/p.yaml:13: messages[0].content[0]: a text part needs `text`"],
        ),
        (
            "  - role: user\n    content: [{type: image, url: 'http://x/a.png', path: a.png}]\n",
            ["prompts/p.yaml:13: messages[0].content[0]: an image part needs one of `url` or `path`"],
        ),
        (
            "  - role: user\n    content: [{type: image}]\n",
            ["prompts/p.yaml:13: messages[0].content[0]: an image part needs one of `url` or `path`"],
        ),
        (
            "  - role: user\n    content: [{type: text, text: hi, url: 'http://x'}]\n",
            ["prompts/p.yaml:13: messages[0].content[0]: a text part takes only `text`"],
        ),
        (
            "  - role: assistant\n    tool_calls: [{id: c1, name: nope, arguments: {}}]\n" + ANSWER,
            [
                "prompts/p.yaml:13: messages[0].tool_calls[0].name: 'nope' is not a tool of this prompt (tools: lookup)"
            ],
        ),
        (
            "  - role: assistant\n    tool_calls: [{id: c1, name: lookup, arguments: {id: 3}}]\n" + ANSWER,
            [
                "prompts/p.yaml:13: messages[0].tool_calls[0].arguments: do not fit tool 'lookup': "
                "id: expected a string, got an integer"
            ],
        ),
        (
            "  - role: assistant\n    tool_calls: [{id: c1, name: lookup}]\n" + ANSWER,
            [
                "prompts/p.yaml:13: messages[0].tool_calls[0].arguments: do not fit tool 'lookup': "
                "missing required key 'id'"
            ],
        ),
    ],
)
def test_bad_messages_are_named(messages: str, expected: list[str]) -> None:
    assert problems(messages) == expected


def test_a_call_in_a_prompt_without_tools_says_none() -> None:
    head = "name: p\nversion: 1.0.0\nmodel: openai/gpt-4o-mini\nmessages:\n"
    messages = "  - role: assistant\n    tool_calls: [{id: c1, name: lookup, arguments: {}}]\n" + ANSWER
    assert problems(messages, head) == [
        "prompts/p.yaml:6: messages[0].tool_calls[0].name: 'lookup' is not a tool of this prompt (tools: none)"
    ]


def test_templated_arguments_are_checked_only_once_rendered() -> None:
    messages = "  - role: assistant\n    tool_calls: [{id: c1, name: lookup, arguments: {d: {k: 1}, l: ['{{y}}']}}]\n"
    spec = read_prompt((HEAD + messages + ANSWER).encode(), "prompts/p.yaml")
    (call,) = spec.messages[0].tool_calls
    assert (call.name, call.arguments) == ("lookup", {"d": {"k": 1}, "l": ["{{y}}"]})
    assert spec.messages[1].tool_call_id == "c1"
