"""The cost of a call that recorded tokens but no cost, for the calls of workflow runs (DESIGN §9.4: cost
per run is computed from the price map when only tokens are recorded): promptops.yaml's `prices` first,
else litellm's price map read as data (the same order as an eval prices its calls)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from promptops.config import Price
from promptops.observe.traces.record import TraceRecord

Pricer = Callable[[str, int, int], float | None]


def pricer(prices: Mapping[str, Price]) -> Pricer:
    """Return the USD cost of (model, input tokens, output tokens), None when no price is known."""
    from promptops.evals.calls import configured_cost
    from promptops.prompts.catalog import token_prices

    def cost(model: str, input_tokens: int, output_tokens: int) -> float | None:
        configured = configured_cost(prices, model, input_tokens, output_tokens)
        if configured is not None:
            return configured
        per_token = token_prices(model)
        return None if per_token is None else input_tokens * per_token[0] + output_tokens * per_token[1]

    return cost


def priced(record: TraceRecord, price: Pricer | None) -> TraceRecord:
    """Return a run's call with its cost computed from its tokens when it recorded none (else itself)."""
    if price is None or record.workflow is None or record.cost_usd is not None:
        return record
    model = record.model.served or record.model.requested
    tokens_in, tokens_out = record.usage.input, record.usage.output
    if model is None or tokens_in is None or tokens_out is None:
        return record
    cost = price(model, tokens_in, tokens_out)
    return record if cost is None else replace(record, cost_usd=cost, cost_source="computed")
