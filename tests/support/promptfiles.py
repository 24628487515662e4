"""Prompt file text for version tests: one realistic prompt with every part adjustable."""

from __future__ import annotations

import json

SYSTEM = "Extract the order ID. Reply with the ID only."
USER = "Message: {{ message }}"


def prompt_yaml(
    name: str = "order-id",
    version: str = "1.0.0",
    *,
    model: str = "openai/gpt-4o-mini-2024-07-18",
    system: str = SYSTEM,
    user: str = USER,
    temperature: float = 0,
    description: str = "Extract the order ID from a customer message.",
    required: tuple[str, ...] = ("message",),
    properties: dict[str, dict[str, object]] | None = None,
    output: dict[str, object] | None = None,
    example: dict[str, object] | None = None,
    extra_messages: tuple[tuple[str, str], ...] = (),
) -> str:
    """Return the YAML text of a prompt file (JSON-style values keep it exact)."""
    properties = properties if properties is not None else {"message": {"type": "string", "minLength": 1}}
    messages = [("system", system), *extra_messages, ("user", user)]
    lines = [
        f"name: {name}",
        f"version: {version}",
        f"description: {json.dumps(description)}",
        "owner: support-ai",
        f"model: {model}",
        f"params: {{temperature: {temperature}, max_tokens: 16}}",
        "inputs:",
        "  type: object",
        f"  required: {json.dumps(list(required))}",
        f"  properties: {json.dumps(properties)}",
        f"output: {json.dumps(output or {'format': 'text'})}",
        "messages:",
    ]
    for role, content in messages:
        lines += [f"  - role: {role}", f"    content: {json.dumps(content)}"]
    lines += ["examples:", f"  - {json.dumps(example or {'message': 'Where is ORD-12345?'})}"]
    return "\n".join(lines) + "\n"


CONFIG = "version: 1\n"
