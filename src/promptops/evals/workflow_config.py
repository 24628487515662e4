"""A workflow suite's own keys as data: `loop` limits, tool doubles, the `target` (§9.3; pure types)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DEFAULT_REPEATS = 3  # a workflow case is flaky more often than one call
WILDCARD = "*"


@dataclass(frozen=True, kw_only=True)
class LoopLimits:
    max_steps: int = 10  # model calls per case run
    max_tool_calls: int = 20
    timeout_s: float = 60.0  # wall clock of one case run
    max_cost_usd: float | None = None


@dataclass(frozen=True, kw_only=True)
class Mock:
    tool: str
    by: str | None = None  # the argument whose value selects a response; None: one answer for every call
    responses: Mapping[str, Any] = field(default_factory=dict)  # `response:` is stored under "*"
    latency_ms: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Deny:
    tool: str


@dataclass(frozen=True, kw_only=True)
class Recorded:
    tool: str
    arguments: Mapping[str, Any]
    result: Any
    error: str | None = None
    key: str = ""  # canonical hash of the arguments


@dataclass(frozen=True, kw_only=True)
class Replay:
    tool: str
    cassette: str  # relative to the project root
    calls: tuple[Recorded, ...] = ()


Double = Mock | Deny | Replay


@dataclass(frozen=True, kw_only=True)
class Target:
    kind: Literal["python", "http", "exec"]
    python: str | None = None  # module:function
    url: str | None = None
    body: Any = None
    output: str | None = None  # the field of the http answer that holds the output
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # variables the child may see besides the minimal set


@dataclass(frozen=True, kw_only=True)
class Workflow:
    loop: LoopLimits
    doubles: Mapping[str, Double] = field(default_factory=dict)
    target: Target | None = None
    max_suite_usd: float | None = None
    # per case id: the doubles of a case that carries its own cassette (they replace `doubles` for it)
    case_doubles: Mapping[str, Mapping[str, Double]] = field(default_factory=dict)
