"""promptops.cost (pure): a month of calls at a rate, bootstrap intervals, unknown prices; the config keys."""

from __future__ import annotations

import pytest

from promptops.config import Budget, Traffic
from promptops.cost import (
    SECONDS_PER_MONTH,
    BudgetStatus,
    MonthlyCost,
    line,
    monthly,
)
from promptops.errors import FileFormatError
from promptops.project import parse_config
from promptops.wording import signed_month, usd_month


def test_a_month_at_a_rate_with_intervals() -> None:
    costs = [0.001, 0.002, 0.003, 0.004, 0.010] * 4
    item = line("prod", costs, qps=2)
    assert item.per_call.value == pytest.approx(0.004)
    assert item.monthly.value == pytest.approx(0.004 * 2 * SECONDS_PER_MONTH)
    low, high = item.monthly.low, item.monthly.high
    assert low is not None and high is not None and low < item.monthly.value < high
    assert item.p95.value == pytest.approx(0.010)
    assert line("prod", costs, qps=2) == item  # seeded: the same sample gives the same interval


def test_one_unpriced_call_makes_the_month_unknown_never_smaller() -> None:
    item = line("prod", [0.001, None, 0.002], qps=1)
    assert (item.monthly.value, item.per_call.value, item.unpriced, item.calls) == (None, None, 1, 3)
    assert monthly([0.001, None], 1) is None and monthly([], 1) is None


def test_judge_lines_scale_with_production_calls() -> None:
    judge = line("judge", [0.01, 0.01], qps=1, per_prod_call=0.25)
    assert judge.monthly.value == pytest.approx(0.01 * SECONDS_PER_MONTH * 0.25)


def test_monthly_cost_delta_and_words() -> None:
    assert MonthlyCost(qps=3, base=1000.0, head=2240.0).delta == pytest.approx(1240.0)
    assert MonthlyCost(qps=3, base=None, head=2.0).delta is None
    assert [usd_month(v) for v in (1240.4, 99.5, 0.305, None)] == ["$1,240", "$99.50", "$0.305", "unknown"]
    assert [signed_month(v) for v in (1240.0, -12.0, None)] == ["+$1,240", "-$12.00", "unknown"]


def test_budget_levels() -> None:
    budget = Budget(name="b", monthly_usd=100.0, prompts=("p",), alerts=(0.5, 0.8, 1.0))

    def status(spent: float) -> BudgetStatus:
        return BudgetStatus(budget=budget, source="traces", spent=spent, forecast=spent, unpriced=0, calls=1)

    assert [status(v).level for v in (10, 50, 85, 100)] == [None, 0.5, 0.8, 1.0]
    assert [status(v).exceeded for v in (99.9, 100)] == [False, True]
    assert status(None).share is None and not status(None).exceeded


def test_config_keys() -> None:
    config = parse_config(
        b"version: 1\ntraffic: {order-id: {qps: 3}}\nbudgets:\n"
        b"  checkout: {monthly_usd: 2000, prompts: [order-id, refund], alerts: [1.0, 0.5]}\n",
        "promptops.yaml",
    )
    assert config.traffic == {"order-id": Traffic(qps=3.0)}
    assert config.budgets == {
        "checkout": Budget(
            name="checkout", monthly_usd=2000.0, prompts=("order-id", "refund"), alerts=(0.5, 1.0)
        )
    }
    assert parse_config(b"version: 1\nbudgets: {b: {monthly_usd: 5, prompts: [p]}}\n", "x").budgets[
        "b"
    ].alerts == (0.5, 0.8, 1.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "traffic: {order-id: {qps: 0}}",
            "promptops.yaml:2: traffic.order-id.qps: 0 is less than or equal to the minimum of 0",
        ),
        (
            "traffic: {order-id: {rate: 3}}",
            "promptops.yaml:2: traffic.order-id: missing required key 'qps'\n"
            "promptops.yaml:2: traffic.order-id.rate: unknown key; expected one of: qps",
        ),
        ("budgets: {b: {monthly_usd: 10}}", "promptops.yaml:2: budgets.b: missing required key 'prompts'"),
        (
            "budgets: {b: {monthly_usd: 10, prompts: []}}",
            "promptops.yaml:2: budgets.b.prompts: [] should be non-empty",
        ),
    ],
)
def test_bad_config_keys_name_the_line(text: str, message: str) -> None:
    with pytest.raises(FileFormatError) as info:
        parse_config(f"version: 1\n{text}\n".encode(), "promptops.yaml")
    assert info.value.lines() == message.split("\n")
