"""`Prompt`: one served version as an application holds it, with the attribution every call carries."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptops.sdk.spans import CURRENT_RUN
from promptops.sdk.values import frozen, plain
from promptops.spec import PromptSpec

VARIABLES = "promptops.prompt.variables"  # the template variables, in the nested litellm metadata


@dataclass(frozen=True, repr=False)
class Prompt:
    """A loaded, immutable prompt version, with what to attach to each call for tracing."""

    spec: PromptSpec
    content_hash: str
    environment: str | None = None
    canary: bool = False
    channel_serial: int | None = None  # the publication that served it, when following a channel
    bundle_hash: str | None = None
    root: Path | None = None  # the project, for image `path:` parts (a bundle carries none)

    def __repr__(self) -> str:
        return f"<Prompt {self.ref} {self.content_hash}>"

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def model(self) -> str:
        return self.spec.model

    @property
    def ref(self) -> str:
        """Return `name@version`, with the environment (and `canary`) when it was resolved through one."""
        where = [w for w in (self.environment, "canary" if self.canary else None) if w]
        return f"{self.name}@{self.version}" + (f" ({', '.join(where)})" if where else "")

    @property
    def arm(self) -> str | None:
        """Return the arm this version serves: `canary`, `control` (through an environment), else None."""
        if self.canary:
            return "canary"
        return "control" if self.environment is not None else None

    @property
    def attribution(self) -> dict[str, Any]:
        """Return who served a call: prompt name, version, content hash, environment, arm (span names)."""
        found = {
            "gen_ai.prompt.name": self.name,
            "promptops.prompt.version": self.version,
            "promptops.prompt.hash": self.content_hash,
            "promptops.environment": self.environment,
            "promptops.arm": self.arm,
            "promptops.prompt.ref": self.ref,
            "promptops.channel.serial": self.channel_serial,
            "promptops.bundle.hash": self.bundle_hash,
        }
        return {k: v for k, v in found.items() if v is not None}

    @property
    def tags(self) -> list[str]:
        """Return the litellm tags: `promptops.prompt:NAME`, `promptops.version:X`, `promptops.arm:ARM`."""
        tags = [f"promptops.prompt:{self.name}", f"promptops.version:{self.version}"]
        if self.arm is not None:
            tags.append(f"promptops.arm:{self.arm}")
        if self.environment is not None:
            tags.append(f"promptops.environment:{self.environment}")
        return tags

    @property
    def metadata(self) -> dict[str, Any]:
        """Return litellm's `metadata=` for a call: attribution nested where litellm keeps it, and tags."""
        return self.litellm_metadata()

    def litellm_metadata(self, **values: Any) -> dict[str, Any]:
        """Return litellm's `metadata=` carrying the attribution and the template variables `values`.

        litellm keeps only known top-level keys in the payload its callbacks and sinks get (and its
        Langfuse integration takes `metadata["prompt"]` for a Langfuse prompt), so everything sits in
        the nested `metadata` (`requester_metadata` in the payload) and in `tags` (`request_tags`).
        """
        nested = self.attribution
        if values:
            nested[VARIABLES] = plain(values)
        run = CURRENT_RUN.get()
        if run is not None:  # a call inside `workflow_span`: the run, and this call's step in it
            nested.update(run.keys(advance=True))
        return {"metadata": nested, "tags": self.tags}

    def span_attributes(self, **values: Any) -> dict[str, str]:
        """Return OpenTelemetry span attributes for a call (GenAI, promptops and OpenInference names).

        Inside `workflow_span` they carry the run, and the step of the latest `completion_kwargs()` (get
        them after it); a call without one is numbered by its start when the run's spans are imported.
        """
        out = {k: str(v) for k, v in self.attribution.items()}
        out["llm.prompt_template.version"] = self.version
        if values:
            variables = json.dumps(plain(values), sort_keys=True, ensure_ascii=False)
            out["llm.prompt_template.variables"] = variables
        run = CURRENT_RUN.get()
        if run is not None:
            out.update({k: str(v) for k, v in run.keys(advance=False).items()})
        return out

    @property
    def tools(self) -> tuple[Mapping[str, Any], ...]:
        """Return the tools in the OpenAI shape litellm takes (resolved `use:` tools included), read-only."""
        return tuple(frozen(t.openai()) for t in self.spec.tools)

    @property
    def tool_choice(self) -> str | Mapping[str, Any] | None:
        """Return the tool choice in the OpenAI shape (`auto`, `none`, `required` or a function), or None."""
        choice = self.spec.openai_tool_choice()
        return choice if choice is None or isinstance(choice, str) else frozen(choice)

    @property
    def config(self) -> Mapping[str, Any]:
        """Return the application config versioned with the prompt (read-only; empty when it has none)."""
        config: Mapping[str, Any] = frozen(dict(self.spec.config or {}))
        return config

    def render(self, **values: Any) -> list[dict[str, Any]]:
        """Return the messages rendered with `values` (checked against the prompt's `inputs`); a
        `{history: VAR}` placeholder takes the list of messages passed as VAR."""
        from promptops.prompts.render import render_checked

        return [message.as_dict() for message in render_checked(self.spec, values, self.ref, self.root)]

    def completion_kwargs(self, **values: Any) -> dict[str, Any]:
        """Return the keyword arguments for `litellm.completion(**kwargs)`."""
        # params first, so a stray `model` or `messages` param can never replace the real ones
        kwargs: dict[str, Any] = copy.deepcopy(dict(self.spec.params))
        kwargs["model"] = self.spec.model
        kwargs["messages"] = self.render(**values)
        if self.spec.tools:
            kwargs["tools"] = self.spec.openai_tools()
        if self.spec.tool_choice is not None:
            kwargs["tool_choice"] = self.spec.openai_tool_choice()
        response_format = self.spec.response_format()
        if response_format is not None:
            kwargs["response_format"] = response_format
        if self.spec.fallbacks:
            kwargs["fallbacks"] = list(self.spec.fallbacks)
        kwargs["metadata"] = self.litellm_metadata(**values)
        run = CURRENT_RUN.get()
        if run is not None:
            kwargs["litellm_trace_id"] = run.id  # litellm's payloads of one run share its trace_id
        return kwargs

    def attempts(self, **values: Any) -> list[dict[str, Any]]:
        """Return one `litellm.completion` kwargs per model, the pinned model first, then each fallback.

        For applications that try the fallbacks themselves, so every attempt keeps its tracing metadata.
        """
        kwargs = self.completion_kwargs(**values)
        kwargs.pop("fallbacks", None)
        models = (self.spec.model, *self.spec.fallbacks)
        return [{**copy.deepcopy(kwargs), "model": model} for model in models]
