"""The `rollout:` policy in promptops.yaml: defaults, per-prompt overrides, located errors."""

from __future__ import annotations

import pytest

from promptops.config import (
    CostRule,
    ErrorRateRule,
    LatencyRule,
    QualityRule,
    RolloutPolicy,
    duration_seconds,
)
from promptops.errors import FileFormatError
from promptops.project import parse_config

POLICY = """\
version: 1
rollout:
  min_calls_per_arm: 800
  max_duration: 3d
  on_inconclusive: promote
  quality: {scorer: judge_ok, max_drop: 0.05, critical: true}
  latency: {p50: 1.10, p95: 1.20, p99: null, sla_p99_ms: 4000}
  prompts:
    order-id: {quality: {max_drop: 0.02}, cost_per_call: null, confidence: 0.99}
"""


def test_defaults_without_a_rollout_key() -> None:
    policy = parse_config(b"version: 1\n", "promptops.yaml").rollout
    assert policy == RolloutPolicy(
        min_calls_per_arm=500,
        max_duration_s=72 * 3600.0,
        confidence=0.95,
        on_inconclusive="rollback",
        quality=None,
        error_rate=ErrorRateRule(max_increase=0.01, critical=True),
        latency=LatencyRule(p50=1.10, p95=1.20, p99=1.30),
        cost_per_call=CostRule(max_increase=0.15, critical=False),
    )


def test_per_prompt_overrides_merge_key_by_key() -> None:
    config = parse_config(POLICY.encode(), "promptops.yaml")
    base = config.rollout
    assert (base.min_calls_per_arm, base.max_duration_s, base.on_inconclusive) == (
        800,
        3 * 86400.0,
        "promote",
    )
    assert base.latency == LatencyRule(p50=1.10, p95=1.20, p99=None, sla_p99_ms=4000)
    order = config.rollout_for("order-id")
    assert order.quality == QualityRule(scorer="judge_ok", max_drop=0.02, critical=True)
    assert (order.cost_per_call, order.confidence, order.min_calls_per_arm) == (None, 0.99, 800)
    assert config.rollout_for("refund") == base


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rollout:\n  max_duration: soon\n",
            "promptops.yaml:3: rollout.max_duration: 'soon' does not match '^[0-9]+(\\\\.[0-9]+)?[smhdw]$'",
        ),
        (
            "rollout:\n  quality: {max_drop: 0.1}\n",
            "promptops.yaml:3: rollout.quality: quality needs a `scorer`",
        ),
        (
            "rollout:\n  latency: {p99: 0.9}\n",
            "promptops.yaml:3: rollout.latency.p99: 0.9 is less than the minimum of 1",
        ),
        (
            "rollout:\n  on_inconclusive: maybe\n",
            'promptops.yaml:3: rollout.on_inconclusive: must be one of: "rollback", "promote"',
        ),
    ],
)
def test_bad_policies_name_the_line_and_key(text: str, message: str) -> None:
    with pytest.raises(FileFormatError) as caught:
        parse_config(("version: 1\n" + text).encode(), "promptops.yaml")
    assert str(caught.value.problems[0]) == message


def test_durations() -> None:
    assert [duration_seconds(t) for t in ("90m", "24h", "7d", "1w", "30s", "1.5h")] == [
        5400,
        86400,
        604800,
        604800,
        30,
        5400,
    ]
    assert [duration_seconds(t) for t in ("", "h", "-1h", "0h", "3x", "inf h")] == [None] * 6
