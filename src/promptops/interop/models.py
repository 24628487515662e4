"""Model names across tools: promptfoo provider ids and GitHub Models ids ↔ litellm model strings.

GitHub Models ids look like litellm strings (`openai/gpt-4o-mini`) but name a publisher, not an
endpoint: to GitHub it means "OpenAI's model on GitHub's endpoint", to litellm "OpenAI's API".
The mapping promptops uses (docs/coming-from-github-models.md):
- import: `openai/NAME` → `openai/NAME` (OpenAI's API: litellm prices it, `OPENAI_API_KEY` pays);
  every other publisher → `github/PUBLISHER/NAME` (GitHub's endpoint, the only one that serves it
  under that id; litellm's `github/` provider, `GITHUB_API_KEY`);
- export: `openai/NAME` → `openai/NAME` (a dated snapshot suffix dropped: GitHub has no snapshots),
  `github/ID` → `ID`; any other provider has no GitHub id and is reported as not carried.
"""

from __future__ import annotations

import re

_DATED = re.compile(r"-\d{4}-\d{2}-\d{2}$")
# promptfoo provider prefix → litellm provider prefix (OpenAI-compatible chat APIs litellm calls)
_PROMPTFOO = {
    "openai": "openai",
    "azure": "azure",
    "azureopenai": "azure",
    "anthropic": "anthropic",
    "mistral": "mistral",
    "groq": "groq",
    "openrouter": "openrouter",
    "deepseek": "deepseek",
    "togetherai": "together_ai",
    "fireworks": "fireworks_ai",
    "perplexity": "perplexity",
    "ollama": "ollama_chat",
    "github": "github",
    "xai": "xai",
}
_KINDS = ("chat", "messages")


def litellm_model(provider_id: str) -> str | None:
    """Return the litellm model string for a promptfoo provider id, or None when it has none."""
    prefix, _, rest = provider_id.partition(":")
    target = _PROMPTFOO.get(prefix)
    if target is None or not rest:
        return None
    kind, _, name = rest.partition(":")
    if name and kind in _KINDS:
        rest = name
    elif name or kind in ("completion", "embedding", "embeddings", "responses", "assistant", "realtime"):
        return None  # a non-chat API (completion, embeddings, assistants) is not a chat prompt
    return f"{target}/{rest}"


def from_github(model_id: str) -> str:
    """Return the litellm model string for a GitHub Models id (see the module docstring)."""
    if model_id.startswith("openai/"):
        return model_id
    return f"github/{model_id}"


def to_github(model: str) -> tuple[str, str | None]:
    """Return the GitHub Models id for a litellm model string, and a note when it is not exact."""
    if model.startswith("github/"):
        return model.removeprefix("github/"), None
    if model.startswith("openai/"):
        bare = _DATED.sub("", model)
        note = None if bare == model else f"model {model}: GitHub Models has no dated snapshots; wrote {bare}"
        return bare, note
    return (
        model,
        f"model {model}: GitHub Models serves no such id (only openai/* and github/* map); written as is",
    )


def pinned(model: str) -> tuple[str, str | None]:
    """Return `model` pinned to its newest dated snapshot (promptops lints floating aliases), and a
    note saying so; an unknown or already pinned model is returned as is."""
    from promptops.prompts.catalog import load

    alternatives = load().floating(model)
    if not alternatives:
        return model, None
    return alternatives[
        0
    ], f"pinned to the dated snapshot {alternatives[0]} (promptops lints floating aliases)"
