"""The project configuration as data: defaults, gate and rollout policies, prices, traffic, budgets (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from promptops.errors import InputError


@dataclass(frozen=True, kw_only=True)
class RunDefaults:
    concurrency: int = 8
    timeout_s: float = 60.0
    retries: int = 4
    repeats: int = 1
    backoff_s: float = 0.5  # first retry waits about this long; doubles per retry, with jitter
    backoff_max_s: float = 30.0  # cap of one wait, Retry-After included
    max_suite_usd: float | None = None  # `eval` refuses a run whose estimate passes it (workflow suites)


@dataclass(frozen=True, kw_only=True)
class GatePolicy:
    max_score_drop: float = 0.02
    max_pass_rate_drop: float = 0.05
    max_new_failures: int | None = (
        0  # cases with evidence of a drop beyond what noise explains; None: not gated
    )
    min_score: float = 0.0
    max_cost_increase: float | None = 0.25
    max_latency_p95_increase: float | None = None
    max_ttft_p95_increase: float | None = None  # a latency profile's time to first token, p95 ratio
    max_error_rate: float = 0.0
    decision: Literal["evidence", "threshold", "statistical"] = "evidence"
    confidence: float = 0.95
    on_inconclusive: Literal["fail", "pass"] = "fail"
    power: float = 0.8  # chance of catching a drop of max_pass_rate_drop that the report calls enough
    max_slice_drop: float | None = (
        None  # per case tag: the pass-rate drop a slice may not show; None: not gated
    )
    # workflow suites (§9.3); None: not gated
    max_steps_increase: float | None = None  # relative, median model calls per case run
    max_tool_error_rate: float | None = None  # failed tool calls / tool calls over the head's case runs
    max_timeout_rate: float | None = None  # case runs that hit their timeout
    max_cost_per_case: float | None = None  # USD, p95 of the head's case runs


@dataclass(frozen=True, kw_only=True)
class Price:
    """USD per one million tokens."""

    input: float
    output: float


@dataclass(frozen=True, kw_only=True)
class RunsPolicy:
    """How much run history .promptops/runs/ keeps."""

    keep: int = 50  # newest runs kept; older ones are pruned when a run is recorded


@dataclass(frozen=True, kw_only=True)
class Traffic:
    """The expected production rate of one prompt, for cost projections."""

    qps: float


@dataclass(frozen=True, kw_only=True)
class Budget:
    """A feature's monthly spend limit over a set of prompts, with alert levels (shares of the limit)."""

    name: str
    monthly_usd: float
    prompts: tuple[str, ...]
    alerts: tuple[float, ...] = (0.5, 0.8, 1.0)


@dataclass(frozen=True, kw_only=True)
class QualityRule:
    """The quality metric of a canary: a score name on the records and its allowed absolute drop."""

    scorer: str
    max_drop: float = 0.05
    critical: bool = True


@dataclass(frozen=True, kw_only=True)
class ErrorRateRule:
    max_increase: float = 0.01  # absolute: canary rate - control rate
    critical: bool = True


@dataclass(frozen=True, kw_only=True)
class LatencyRule:
    """Allowed canary/control ratios of latency quantiles (None: not judged) and an absolute p99 SLA."""

    p50: float | None = 1.10
    p95: float | None = 1.20
    p99: float | None = 1.30
    sla_p99_ms: float | None = None
    critical: bool = False


@dataclass(frozen=True, kw_only=True)
class CostRule:
    max_increase: float = 0.15  # relative: canary/control mean cost per call may reach 1 + this
    critical: bool = False


@dataclass(frozen=True, kw_only=True)
class RunRule:
    """A workflow canary metric: steps and cost per run as canary/control - 1; tool errors absolute."""

    max_increase: float
    critical: bool = False


@dataclass(frozen=True, kw_only=True)
class RolloutPolicy:
    """When a canary may be promoted or must be rolled back (`rollout:` in promptops.yaml)."""

    min_calls_per_arm: int = 500
    max_duration_s: float = 72 * 3600.0
    confidence: float = 0.95
    on_inconclusive: Literal["rollback", "promote"] = "rollback"
    quality: QualityRule | None = None  # no default scorer: without one, quality is not judged
    error_rate: ErrorRateRule | None = field(default_factory=ErrorRateRule)
    latency: LatencyRule | None = field(default_factory=LatencyRule)
    cost_per_call: CostRule | None = field(default_factory=CostRule)
    steps_per_run: RunRule | None = None  # workflow metrics, judged per run (DESIGN §9.4): off unless set
    tool_error_rate: RunRule | None = None
    cost_per_run: RunRule | None = None


DURATION = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration_seconds(text: str) -> float | None:
    """Return the seconds of a duration such as `90m`, `24h`, `7d`, or None when it is not one."""
    text = text.strip()
    unit = DURATION.get(text[-1:])
    try:
        amount = float(text[:-1]) if unit else None
    except ValueError:
        return None
    if amount is None or not amount > 0 or amount == float("inf"):
        return None
    return amount * (unit or 1)


def since_seconds(text: str, option: str = "--since", examples: str = "30m, 24h, 7d or 2w") -> float:
    """Return the seconds of a duration option's value; InputError (exit 2) naming the option otherwise."""
    seconds = duration_seconds(text)
    if seconds is None:
        raise InputError(f"{option} '{text}': expected a duration such as {examples}")
    return seconds


@dataclass(frozen=True, kw_only=True)
class ProjectConfig:
    version: int = 1
    prompts_dir: str = "prompts"
    tools_dir: str = "tools"  # shared tool definitions (`use: NAME` reads tools/NAME.yaml)
    evals_dir: str = "evals"
    baselines_dir: str = "evals/baselines"
    environments_file: str = "environments.yaml"
    tag_format: str = "prompts/{name}/v{version}"
    defaults: RunDefaults = field(default_factory=RunDefaults)
    gate: GatePolicy = field(default_factory=GatePolicy)
    gate_overrides: Mapping[str, Any] = field(default_factory=dict)
    prices: Mapping[str, Price] = field(default_factory=dict)
    traffic: Mapping[str, Traffic] = field(default_factory=dict)
    budgets: Mapping[str, Budget] = field(default_factory=dict)
    runs: RunsPolicy = field(default_factory=RunsPolicy)
    rollout: RolloutPolicy = field(default_factory=RolloutPolicy)
    rollout_prompts: Mapping[str, RolloutPolicy] = field(default_factory=dict)  # per-prompt overrides

    def rollout_for(self, prompt: str) -> RolloutPolicy:
        """Return the rollout policy of `prompt`: its override merged over the project's, or the project's."""
        return self.rollout_prompts.get(prompt, self.rollout)


def policy_for(config: ProjectConfig, suite_gate: Mapping[str, Any]) -> GatePolicy:
    """Return the project-wide policy with the suite's `gate` overrides applied."""
    known = {f.name for f in fields(GatePolicy)}
    unknown = sorted(set(suite_gate) - known)
    if unknown:
        raise InputError(f"unknown gate key '{unknown[0]}'; expected one of: {', '.join(sorted(known))}")
    return replace(config.gate, **dict(suite_gate))
