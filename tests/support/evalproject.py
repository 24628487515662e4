"""A small eval project on disk (prompt, suite, dataset) with fast retry settings, for eval tests."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from support.openai_server import FakeOpenAI
from support.tmpdir import TmpDir

FAST_CONFIG = """\
version: 1
defaults: {concurrency: 4, timeout_s: 2, retries: 3, backoff_s: 0.01, backoff_max_s: 0.05}
"""

PROMPT = """\
name: order-id
version: 1.0.0
model: openai/gpt-4o-mini-2024-07-18
params: {temperature: 0, max_tokens: 16}
inputs:
  type: object
  required: [message]
  properties:
    message: {type: string, minLength: 1}
messages:
  - role: system
    content: Extract the order ID. Reply with the ID only, or NONE.
  - role: user
    content: "Message: {{ message }}"
"""

SUITE = """\
prompt: order-id
dataset: data/order-id.jsonl
scorers:
  - {type: equals, expected: "{{ expected }}"}
  - {type: regex, pattern: "^(ORD-\\\\d{5}|NONE)$"}
"""

_ORDER = re.compile(r"ORD-\d{5}")


def order_id_answer(messages: list[dict[str, Any]]) -> str:
    """Answer like a good model: the order id in the last user message, else NONE."""
    last = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    found = _ORDER.findall(str(last))
    return found[-1] if found else "NONE"


def cases(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"c{i:03d}",
            "vars": {"message": f"Where is my order ORD-{10000 + i}?"},
            "expected": f"ORD-{10000 + i}",
        }
        for i in range(1, count + 1)
    ]


def write_project(
    root: Path, count: int = 6, files: dict[str, str] | None = None, config: str = FAST_CONFIG
) -> Path:
    """Write promptops.yaml, prompts/order-id.yaml, evals/order-id.yaml and `count` JSONL cases."""
    content = {
        "promptops.yaml": config,
        "prompts/order-id.yaml": PROMPT,
        "evals/order-id.yaml": SUITE,
        "evals/data/order-id.jsonl": "".join(json.dumps(c) + "\n" for c in cases(count)),
        **(files or {}),
    }
    tree = TmpDir(root)
    tree.gen({rel: text for rel, text in content.items() if rel.endswith(".yaml")}, dedent=True)
    tree.gen({rel: text for rel, text in content.items() if not rel.endswith(".yaml")})
    return root


def results(root: Path, path: str = ".promptops/runs/latest.json") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((root / path).read_text(encoding="utf-8"))
    return loaded


def interrupted_eval(root: Path, server: FakeOpenAI, signum: signal.Signals) -> tuple[int, str]:
    """Run `promptops eval` of 20 slow cases in a subprocess, send `signum` once about 7 calls went out;
    return its exit code and stderr."""
    write_project(root, count=20)
    server.latency = 0.3
    proc = subprocess.Popen(
        [sys.executable, "-m", "promptops", "eval", "--concurrency", "2"],
        cwd=root,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while server.count < 7 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=60)
    return proc.returncode, err
