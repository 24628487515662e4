"""Properties that beat examples (hypothesis): the deterministic JSON writer, the YAML reader's line
marks, redaction, and the exact tests of the gate against brute force on small N."""

from __future__ import annotations

import itertools
import json
import math
import string
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from promptops import stats
from promptops.jsontext import dump_json, normalize
from promptops.secrets import MIN_SECRET, REDACTED, clip, redact
from promptops.yamltext import dump_yaml, parse_yaml

FAST = settings(max_examples=150, deadline=None)

# --- the deterministic JSON writer -------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | st.integers(-(10**30), 10**30) | finite | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)


@FAST
@given(json_values)
def test_dump_json_is_json_dumps_of_the_normalized_value(value: Any) -> None:
    expected = json.dumps(normalize(value), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert dump_json(value) == expected


@FAST
@given(json_values)
def test_dump_json_reads_back_as_the_normalized_value_and_is_a_fixed_point(value: Any) -> None:
    text = dump_json(value)
    back = json.loads(text)
    assert back == normalize(value)
    assert dump_json(back) == text  # writing what was read changes nothing: no churn in committed files


@FAST
@given(st.dictionaries(st.text(max_size=8), scalars, max_size=8), st.randoms(use_true_random=False))
def test_dump_json_ignores_key_order(data: dict[str, Any], random: Any) -> None:
    items = list(data.items())
    random.shuffle(items)
    assert dump_json(dict(items)) == dump_json(data)


# --- the YAML reader's line marks ----------------------------------------------------------------------

# keys YAML writes bare (not `null`, `yes`, `on`, ... which it quotes)
keys = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=10).filter(
    lambda k: dump_yaml({k: 1}).startswith(f"{k}:")
)
yaml_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**9), 10**9)
    | st.text(alphabet=string.ascii_letters + string.digits + " .,-", max_size=30)
)
yaml_values = yaml_scalars | st.lists(yaml_scalars, min_size=1, max_size=4)


def _line_of(text: str, prefix: str, start: int = 0) -> int:
    """Return the 1-based line of the first line at or after `start` (0-based) that begins with `prefix`."""
    lines = text.splitlines()
    return next(i for i in range(start, len(lines)) if lines[i].startswith(prefix)) + 1


@FAST
@given(st.dictionaries(keys, yaml_values, min_size=1, max_size=6))
def test_every_key_and_list_item_is_marked_on_its_own_line(data: dict[str, Any]) -> None:
    text = dump_yaml(data)
    doc = parse_yaml(text, "f.yaml")
    assert doc.data == data
    for key, value in data.items():
        line = _line_of(text, f"{key}:")
        assert doc.line((key,)) == line
        if isinstance(value, list):
            for i in range(len(value)):
                assert doc.line((key, i)) == _line_of(text, "- ", line) + i


@FAST
@given(st.dictionaries(keys, yaml_scalars, min_size=1, max_size=6), st.integers(0, 5))
def test_marks_count_lines_above_the_document(data: dict[str, Any], blank: int) -> None:
    text = "# a comment\n" + "\n" * blank + dump_yaml(data)
    doc = parse_yaml(text, "f.yaml")
    for key in data:
        assert doc.line((key,)) == _line_of(text, f"{key}:")
    assert doc.line(("no-such-key",)) == doc.line(())  # the nearest ancestor: the document


# --- redaction -------------------------------------------------------------------------------------------

secrets_ = st.text(alphabet=string.ascii_letters + string.digits, min_size=MIN_SECRET, max_size=40)
noise = st.text(alphabet=string.ascii_letters + string.digits + " .:-_/", max_size=80)


@FAST
@given(secrets_, st.lists(noise, min_size=1, max_size=5))
def test_redact_leaves_no_secret_value(secret: str, pieces: list[str]) -> None:
    text = secret.join(pieces) + secret
    out = redact(text, [secret])
    assert secret not in out
    assert REDACTED in out


@FAST
@given(secrets_, st.lists(noise, min_size=1, max_size=6), st.integers(0, 400))
def test_clip_keeps_no_piece_of_a_secret_at_the_cut_and_respects_the_limit(
    secret: str, pieces: list[str], limit: int
) -> None:
    text = secret.join(pieces) + secret
    out = clip(text, limit, [secret])
    assert len(out) <= limit
    assert secret not in out
    tail = out.removesuffix(REDACTED)
    # no trailing prefix of the secret of MIN_SECRET characters or more survives
    assert not any(tail.endswith(secret[:n]) for n in range(MIN_SECRET, len(secret) + 1))
    if len(redact(text, [secret])) <= limit:
        assert out == redact(text, [secret]) or out.endswith(REDACTED)


# --- exact tests against brute force on small N -----------------------------------------------------------


@FAST
@given(st.integers(0, 8), st.integers(0, 8), st.data())
def test_fisher_drop_is_the_enumerated_hypergeometric_tail(base_n: int, head_n: int, data: Any) -> None:
    base = data.draw(st.integers(0, base_n))
    head = data.draw(st.integers(0, head_n))
    passes = base + head
    # every way to choose which `passes` of the base_n + head_n outcomes passed, all equally likely
    items = range(base_n + head_n)
    tables = [sum(1 for i in chosen if i >= base_n) for chosen in itertools.combinations(items, passes)]
    expected = sum(1 for h in tables if h <= head) / len(tables)
    assert math.isclose(stats.fisher_drop(base, base_n, head, head_n), expected, rel_tol=1e-9, abs_tol=1e-12)


@FAST
@given(st.integers(0, 12), st.data())
def test_binomial_tail_is_the_enumerated_fair_coin_tail(n: int, data: Any) -> None:
    k = data.draw(st.integers(0, n))
    outcomes = list(itertools.product((0, 1), repeat=n))
    expected = sum(1 for o in outcomes if sum(o) <= k) / len(outcomes)
    assert math.isclose(stats.binomial_tail(k, n), expected, rel_tol=1e-9, abs_tol=1e-12)


probability = st.floats(0, 1, allow_nan=False)


@FAST
@given(st.lists(probability, max_size=8), st.integers(0, 9))
def test_poisson_binomial_upper_is_the_enumerated_tail(probabilities: list[float], k: int) -> None:
    expected = 0.0
    for outcome in itertools.product((0, 1), repeat=len(probabilities)):
        if sum(outcome) >= k:
            expected += math.prod(p if o else 1 - p for p, o in zip(probabilities, outcome, strict=True))
    assert math.isclose(stats.poisson_binomial_upper(probabilities, k), min(1.0, expected), abs_tol=1e-9)


pmfs = st.lists(st.floats(0.01, 1), min_size=1, max_size=3).map(lambda w: [x / sum(w) for x in w])


@FAST
@given(st.lists(pmfs, min_size=1, max_size=4), st.integers(0, 8))
def test_convolve_lower_is_the_enumerated_distribution_of_the_sum(
    pmf_list: list[list[float]], observed: int
) -> None:
    expected = 0.0
    for values in itertools.product(*(range(len(p)) for p in pmf_list)):
        if sum(values) <= observed:
            expected += math.prod(p[v] for p, v in zip(pmf_list, values, strict=True))
    assert math.isclose(stats.convolve_lower(pmf_list, observed), min(1.0, expected), abs_tol=1e-9)


@FAST
@given(st.integers(1, 12), st.data())
def test_hypergeometric_is_a_distribution(total: int, data: Any) -> None:
    successes = data.draw(st.integers(0, total))
    draws = data.draw(st.integers(0, total))
    pmf = stats.hypergeometric(total, successes, draws)
    assert math.isclose(sum(pmf), 1.0, abs_tol=1e-12)
    assert all(p >= 0 for p in pmf)
