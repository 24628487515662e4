"""Multi-part content, image paths and a history placeholder through `promptops eval`: what the model
receives, on both model paths (the image file becomes a data URL; the conversation is spliced in)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.fixtures import CLI
from support.openai_server import FakeOpenAI

PROMPT = """\
name: chat
version: 1.0.0
model: openai/gpt-4o-mini-2024-07-18
inputs:
  type: object
  required: [question, conversation]
  properties: {question: {type: string}, conversation: {type: array}}
messages:
  - {role: system, content: You answer questions about screenshots.}
  - {history: conversation}
  - role: user
    content:
      - {type: text, text: "{{ question }}"}
      - {type: image, path: shots/error.png, detail: low}
"""
SUITE = """\
prompt: chat
cases:
  - id: c1
    vars:
      question: What does the error say?
      conversation:
        - {role: user, content: My app crashed.}
        - {role: assistant, content: Can you send a screenshot?}
    expected: OK
scorers:
  - {type: equals, expected: "{{ expected }}"}
"""


@pytest.fixture(params=["http", "litellm"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "litellm":
        monkeypatch.setenv("PROMPTOPS_PROVIDER", "litellm")
    return str(request.param)


def test_parts_images_and_history_reach_the_model(
    cli: CLI, project_dir: Path, openai_server: FakeOpenAI, path: str
) -> None:
    (project_dir / "promptops.yaml").write_text("version: 1\n", encoding="utf-8")
    (project_dir / "prompts").mkdir(exist_ok=True)
    (project_dir / "evals").mkdir(exist_ok=True)
    (project_dir / "shots").mkdir()
    (project_dir / "shots" / "error.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (project_dir / "prompts" / "chat.yaml").write_text(PROMPT, encoding="utf-8")
    (project_dir / "evals" / "chat.yaml").write_text(SUITE, encoding="utf-8")
    result = cli("eval", "chat", "--out", "results.json")
    assert result.code == 0, result.err
    sent = openai_server.requests[0].body["messages"]
    assert sent[:3] == [
        {"role": "system", "content": "You answer questions about screenshots."},
        {"role": "user", "content": "My app crashed."},
        {"role": "assistant", "content": "Can you send a screenshot?"},
    ]
    assert sent[3] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "What does the error say?"},
            {
                "type": "image_url",
                "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
            },
        ],
    }
    data = json.loads((project_dir / "results.json").read_text("utf-8"))
    assert data["suites"]["chat"]["cases"][0]["score"] == 1.0


def test_a_bad_history_value_stops_eval_with_the_case_line(
    cli: CLI, project_dir: Path, openai_server: FakeOpenAI, path: str
) -> None:
    (project_dir / "promptops.yaml").write_text("version: 1\n", encoding="utf-8")
    (project_dir / "prompts").mkdir(exist_ok=True)
    (project_dir / "evals").mkdir(exist_ok=True)
    (project_dir / "prompts" / "chat.yaml").write_text(
        PROMPT.replace("      - {type: image, path: shots/error.png, detail: low}\n", ""), encoding="utf-8"
    )
    (project_dir / "evals" / "chat.yaml").write_text(
        SUITE.replace("- {role: user, content: My app crashed.}", "- {speaker: user}"), encoding="utf-8"
    )
    result = cli("eval", "chat")
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "error: evals/chat.yaml:3: vars: variable 'conversation' of chat: [0]: expected a message with a "
        "role of system, user, assistant, tool"
    )
    assert openai_server.count == 0
