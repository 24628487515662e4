"""load_prompt() for applications: a prompt from a bundle, a followed channel or the working tree.

No git, litellm or rich; following a channel needs only stdlib urllib (and `cryptography` to verify).
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from promptops.deploy.environments import Assignment
from promptops.errors import InputError, UnknownPromptError
from promptops.prompts import working
from promptops.spec import PromptSpec

if TYPE_CHECKING:
    from promptops.channel.follower import Snapshot
    from promptops.deploy.bundle import Bundle

BUCKETS = 10_000
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
            nested[VARIABLES] = _plain(values)
        run = _RUN.get()
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
            variables = json.dumps(_plain(values), sort_keys=True, ensure_ascii=False)
            out["llm.prompt_template.variables"] = variables
        run = _RUN.get()
        if run is not None:
            out.update({k: str(v) for k, v in run.keys(advance=False).items()})
        return out

    @property
    def tools(self) -> tuple[Mapping[str, Any], ...]:
        """Return the tools in the OpenAI shape litellm takes (resolved `use:` tools included), read-only."""
        return tuple(_frozen(t.openai()) for t in self.spec.tools)

    @property
    def tool_choice(self) -> str | Mapping[str, Any] | None:
        """Return the tool choice in the OpenAI shape (`auto`, `none`, `required` or a function), or None."""
        choice = self.spec.openai_tool_choice()
        return choice if choice is None or isinstance(choice, str) else _frozen(choice)

    @property
    def config(self) -> Mapping[str, Any]:
        """Return the application config versioned with the prompt (read-only; empty when it has none)."""
        frozen: Mapping[str, Any] = _frozen(dict(self.spec.config or {}))
        return frozen

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
        run = _RUN.get()
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


def _frozen(value: Any) -> Any:
    """Return `value` deep-frozen: mappings read-only, lists as tuples (callers cannot edit a version)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    # variables travel as JSON (a log line, a span attribute): anything else becomes its text
    simple = str | int | float | bool | None
    return {str(k): v if isinstance(v, simple) else _json(v) for k, v in values.items()}


def _json(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError):
        return str(value)


def load_prompt(
    name: str,
    env: str | None = None,
    *,
    bundle: str | os.PathLike[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    key: str | int | None = None,
    channel: str | os.PathLike[str] | None = None,
    public_key: str | os.PathLike[str] | None = None,
    poll_s: float = 10.0,
    timeout_s: float = 2.0,
    state_dir: str | os.PathLike[str] | None = None,
) -> Prompt:
    """Return the prompt `name` (or a pinned `name@VERSION`) as served by `env`.

    With `bundle=` everything comes from the verified bundle file (what production should use). Otherwise
    the project at `root` (default: the current directory) is read from the working tree: environments.yaml
    and the prompt files as they are on disk, so a version that is not the working tree's is refused.
    `key` (a user id, a session id) picks the canary for a stable share of keys.

    With `channel=` (a URL or a directory written by `promptops publish`) and `public_key=` (PEM text or a
    path), the environment's signed pointer is followed by a background poller every `poll_s` seconds;
    `bundle=` is then the fallback served when neither the channel nor the last good copy on disk (in
    `state_dir=`) can be read. The first call per (channel, env, key) starts the poller and fixes its
    settings; later calls return its current snapshot without touching the network.
    """
    base, at, pinned = name.partition("@")
    if at and not pinned:
        raise InputError(f"'{name}': nothing after '@'; write {base}@1.2.0 or pass env=")
    if pinned and env is not None:
        raise InputError(f"'{name}' pins a version; pass either NAME@VERSION or env=, not both")
    if bundle is not None and root is not None:
        raise InputError("pass either bundle= or root=, not both")
    if channel is not None:
        if env is None or public_key is None or root is not None:
            raise InputError("load_prompt(..., channel=...) needs env= and public_key=, and no root=")
        snapshot = _follow(channel, env, public_key, poll_s, timeout_s, state_dir, bundle)
        return _from_snapshot(snapshot, base, pinned, env, key)
    if bundle is not None:
        return _from_bundle(Path(bundle), base, pinned, env, key)
    return _from_tree(Path(root) if root is not None else None, base, pinned, env, key)


def bucket(prompt: str, key: str | int) -> int:
    """Return the stable bucket (0..9999) of `key` for `prompt`: sha256, the same in every process."""
    digest = hashlib.sha256(f"{prompt}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def choose(prompt: str, assignment: Assignment, key: str | int | None) -> tuple[str, bool]:
    """Return the version to serve and whether it is the canary (no key: the stable version)."""
    canary = assignment.canary
    if canary is None or key is None:
        return assignment.version, False
    if bucket(prompt, key) < round(canary.percent * BUCKETS / 100):
        return canary.version, True
    return assignment.version, False


def _from_bundle(path: Path, name: str, pinned: str, env: str | None, key: str | int | None) -> Prompt:
    loaded = _bundle(path)
    if pinned:
        entry = loaded.prompt(name, pinned)
        return Prompt(entry.spec, entry.content_hash)
    if env is None:
        raise InputError(f"load_prompt('{name}', bundle=...) needs env= or a pinned '{name}@VERSION'")
    version, is_canary = choose(name, loaded.environments.require(env, name), key)
    entry = loaded.prompt(name, version)
    return Prompt(entry.spec, entry.content_hash, env, is_canary)


def _follow(  # noqa: PLR0917 (the keyword arguments of load_prompt, passed through)
    channel: str | os.PathLike[str],
    env: str,
    public_key: str | os.PathLike[str],
    poll_s: float,
    timeout_s: float,
    state_dir: str | os.PathLike[str] | None,
    embedded: str | os.PathLike[str] | None,
) -> Snapshot:
    from promptops.channel import follower, pollers
    from promptops.deploy.environments import check_name

    check_name(env)  # it becomes a file name on the channel
    if poll_s <= 0 or timeout_s <= 0:
        raise InputError(f"poll_s and timeout_s must be above 0, got {poll_s} and {timeout_s}")
    settings = follower.Settings(
        channel=os.fspath(channel),
        env=env,
        public_key=pollers.public_key_pem(public_key),
        poll_s=poll_s,
        timeout_s=timeout_s,
        state_dir=None if state_dir is None else Path(state_dir),
        embedded=None if embedded is None else Path(embedded),
    )
    return pollers.follow(settings).current()


def _from_snapshot(snapshot: Snapshot, name: str, pinned: str, env: str, key: str | int | None) -> Prompt:
    loaded = snapshot.bundle
    version, is_canary = (
        (pinned, False) if pinned else choose(name, loaded.environments.require(env, name), key)
    )
    entry = loaded.prompt(name, version)
    return Prompt(
        entry.spec,
        entry.content_hash,
        env,
        is_canary,
        channel_serial=snapshot.serial,
        bundle_hash=snapshot.bundle_hash,
    )


_CACHE: dict[str, tuple[tuple[int, int], Bundle]] = {}
_LOCK = threading.Lock()


def _bundle(path: Path) -> Bundle:
    # Applications call load_prompt per request: verify a bundle once per file version, not per call.
    from promptops.deploy import bundle

    try:
        stat = path.stat()
        where, version = os.path.abspath(path), (stat.st_mtime_ns, stat.st_size)
    except OSError:
        return bundle.read(path)  # reports the missing or unreadable file
    with _LOCK:
        cached = _CACHE.get(where)
        if cached is not None and cached[0] == version:
            return cached[1]
    loaded = bundle.read(path)
    with _LOCK:
        _CACHE[where] = (version, loaded)
    return loaded


def _from_tree(root: Path | None, name: str, pinned: str, env: str | None, key: str | int | None) -> Prompt:
    from promptops.deploy import environments
    from promptops.formats import content_hash
    from promptops.project import Project

    project = Project.load(root)
    spec = working.load_prompt(project, name)
    wanted, is_canary = pinned or None, False
    if env is not None:
        envs = environments.read(project, missing_ok=False)
        wanted, is_canary = choose(name, envs.require(env, name), key)
    if wanted is not None and wanted != spec.version:
        source = f"environment '{env}' serves" if env else "you pinned"
        raise UnknownPromptError(
            f"{source} {name}@{wanted}, but the working tree has {name}@{spec.version} ({spec.source})",
            hint="root= reads only the working tree; load released versions from a bundle: "
            "`promptops bundle --out prompts.lock.json`, then load_prompt(..., bundle='prompts.lock.json')",
        )
    return Prompt(spec, content_hash(spec.content()), env, is_canary, root=project.root)


# --- shadow mode: a version served to no one, called after the primary with the same variables ---------

SHADOW_OFF = (
    "tools",
    "tool_choice",
    "functions",
    "function_call",
    "parallel_tool_calls",
    "stream",
    "fallbacks",
)
PAIR_KEY = "promptops.pair_id"
_SHADOW_SLOTS = threading.BoundedSemaphore(
    4
)  # shadow calls in flight at once; more are skipped, never queued


def new_pair_id() -> str:
    """Return a fresh id that pairs a primary call with its shadow call."""
    import uuid

    return uuid.uuid4().hex


def _attribute(kwargs: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    # attribution sits where the tracing metadata keeps it: a nested `metadata` dict when there is one
    metadata = kwargs.setdefault("metadata", {})
    nested = metadata.get("metadata") if isinstance(metadata.get("metadata"), dict) else metadata
    nested.update(found)
    tags = metadata.get("tags")
    if isinstance(tags, list) and "promptops.arm" in found:
        kept = [t for t in tags if not str(t).startswith("promptops.arm:")]
        metadata["tags"] = [*kept, f"promptops.arm:{found['promptops.arm']}"]
    return kwargs


def paired_kwargs(primary: Prompt, pair_id: str, **values: Any) -> dict[str, Any]:
    """Return the primary call's `litellm.completion` kwargs, carrying `pair_id` for its shadow."""
    return _attribute(primary.completion_kwargs(**values), {PAIR_KEY: pair_id})


def shadow_kwargs(shadow: Prompt, primary: Prompt, pair_id: str, **values: Any) -> dict[str, Any]:
    """Return the kwargs of the shadow call: the shadow version on the same variables, served to no one.

    Tools, streaming and fallbacks are off (a shadow must not act); the call is attributed to the primary's
    environment with arm `shadow`, purpose `shadow` and the primary's `pair_id`.
    """
    token = _RUN.set(None)  # a shadow call is no step of the user's run
    try:
        kwargs = shadow.completion_kwargs(**values)
    finally:
        _RUN.reset(token)
    for key in SHADOW_OFF:
        kwargs.pop(key, None)
    found = {
        PAIR_KEY: pair_id,
        "promptops.arm": "shadow",
        "promptops.purpose": "shadow",
        "promptops.environment": primary.environment,
    }
    return _attribute(kwargs, found)


def call_with_shadow(
    complete: Any,
    primary: Prompt,
    shadow: Prompt,
    *,
    rate: float = 1.0,
    timeout_s: float = 30.0,
    key: str | int | None = None,
    **values: Any,
) -> Any:
    """Return `complete(**kwargs)` of the primary; then, for a `rate` share, fire the shadow call.

    `complete` is the application's `litellm.completion` (the SDK imports no model client). The shadow call
    runs in a daemon thread after the primary has returned, with `timeout_s`; its result and its errors are
    dropped, never returned to the user; its record (written by the tracing callback) pairs by id. The
    primary goes without `fallbacks` (litellm would drop its tracing metadata); use `attempts()` for those.
    """
    pair_id = new_pair_id()
    kwargs = paired_kwargs(primary, pair_id, **values)
    kwargs.pop("fallbacks", None)  # litellm drops callbacks and metadata on its fallbacks path: no pairing
    result = complete(**kwargs)
    chosen = bucket(f"{primary.name}#shadow", key) < rate * BUCKETS if key is not None else _draw() < rate
    if chosen and _SHADOW_SLOTS.acquire(blocking=False):
        second = {**shadow_kwargs(shadow, primary, pair_id, **values), "timeout": timeout_s}
        threading.Thread(target=_fire, args=(complete, second), daemon=True, name="promptops-shadow").start()
    return result


def _draw() -> float:
    import random

    return random.random()  # noqa: S311 -- sampling traffic, not secrecy


def _fire(complete: Any, kwargs: dict[str, Any]) -> None:
    try:
        complete(**kwargs)
    except Exception:  # a failing shadow must never reach the application
        import logging

        logging.getLogger("promptops.shadow").debug("shadow call failed", exc_info=True)
    finally:
        _SHADOW_SLOTS.release()


# --- agents: the run and tool attribution of DESIGN §9.4 (OpenTelemetry optional: a no-op without it) ---


class WorkflowRun:
    """The workflow run `workflow_span` opened: its id (the span id when OpenTelemetry records it)."""

    def __init__(self, run_id: str, name: str) -> None:
        self.id = run_id
        self.name = name
        self.steps = 0
        self._lock = threading.Lock()

    def keys(self, advance: bool) -> dict[str, Any]:
        """Return the run's attribution keys: `advance` for one more model call (its step, from 1), else
        the step of the latest such call, if any."""
        found: dict[str, Any] = {"promptops.workflow.id": self.id, "promptops.workflow.name": self.name}
        with self._lock:
            if advance:
                self.steps += 1
            if self.steps:
                found["promptops.workflow.step"] = self.steps
        return found


class ToolRun:
    """The tool execution `tool_span` opened: `result(value)` records the tool's answer on the span."""

    def __init__(self, span: Any) -> None:
        self._span = span

    def result(self, value: Any) -> None:
        """Record the tool's answer (`gen_ai.tool.call.result`, JSON) for replay cassettes."""
        if self._span is not None:
            self._span.set_attribute("gen_ai.tool.call.result", json.dumps(_json(value), ensure_ascii=False))


_RUN: contextvars.ContextVar[WorkflowRun | None] = contextvars.ContextVar("promptops_run", default=None)


def _tracer() -> Any:
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_tracer("promptops.sdk")


@contextlib.contextmanager
def _span(name: str, attributes: dict[str, Any]) -> Iterator[Any]:
    tracer = _tracer()
    if tracer is None:
        yield None
        return
    from opentelemetry.trace import Status, StatusCode

    with tracer.start_as_current_span(name, attributes=attributes, record_exception=True) as span:
        try:
            yield span
        except BaseException as exc:
            kind = "timeout" if isinstance(exc, TimeoutError) else type(exc).__qualname__
            span.set_attribute("error.type", kind)
            span.set_status(Status(StatusCode.ERROR, kind))
            raise


@contextlib.contextmanager
def workflow_span(name: str) -> Iterator[WorkflowRun]:
    """Open a workflow run: an `invoke_workflow` span named `name` (with OpenTelemetry installed), and the
    run's id and step on the litellm metadata and span attributes of every prompt call made inside it.

    An exception leaving the block marks the run failed (`error.type`; a TimeoutError: `timeout`).
    """
    attributes = {
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.agent.name": name,
        "gen_ai.workflow.name": name,
    }
    with _span(f"invoke_workflow {name}", attributes) as span:
        context = span.get_span_context() if span is not None else None
        run_id = f"{context.span_id:016x}" if context is not None and context.span_id else new_pair_id()[:16]
        token = _RUN.set(WorkflowRun(run_id, name))
        try:
            yield _RUN.get() or WorkflowRun(run_id, name)
        finally:
            _RUN.reset(token)


@contextlib.contextmanager
def tool_span(name: str, call_id: str | None = None, arguments: Any = None) -> Iterator[ToolRun]:
    """Open a tool execution: an `execute_tool` span (`gen_ai.tool.name`, `gen_ai.tool.call.id`), a no-op
    without OpenTelemetry. An exception leaving the block records `error.type` on it."""
    attributes: dict[str, Any] = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}
    if call_id:
        attributes["gen_ai.tool.call.id"] = call_id
    if arguments is not None:
        attributes["gen_ai.tool.call.arguments"] = json.dumps(_json(arguments), ensure_ascii=False)
    with _span(f"execute_tool {name}", attributes) as span:
        yield ToolRun(span)
