"""A provider's error body is redacted before it is cut, and no prefix of a secret survives at the end."""

from __future__ import annotations

from promptops.evals.calls import DETAIL_LIMIT, ProviderError
from promptops.secrets import MIN_SECRET, REDACTED, clip

KEY = "Zq9vT2mXw8LpR4nB7cK1dF6hJ3sA5gE0yU"  # a key of no known shape: only its value gives it away


def test_a_body_cut_mid_key_keeps_none_of_the_key() -> None:
    body = "invalid key " + " ".join([KEY] * 20)
    cut_at = body.index(KEY, 280) + 10  # the cut lands ten characters into a repeat of the key
    text = clip(body, cut_at, [KEY])
    assert KEY[:MIN_SECRET] not in text
    assert text.startswith("invalid key [REDACTED] [REDACTED]")


def test_a_trailing_prefix_of_a_secret_is_redacted() -> None:
    assert clip("upstream said: bad key " + KEY[:12], 300, [KEY]) == "upstream said: bad key " + REDACTED
    # shorter than MIN_SECRET: ordinary text, kept
    assert clip("word " + KEY[:7], 300, [KEY]) == "word " + KEY[:7]


def test_a_cut_that_leaves_a_prefix_of_a_secret_redacts_it() -> None:
    # a prefix of the key that the body continues differently is not the key: only a cut can end on it
    body = "x" * 20 + KEY[:10] + "-not-the-key" + "y" * 40
    assert clip(body, 30, [KEY]) == "x" * 20 + REDACTED


def test_provider_error_quotes_at_most_the_limit_and_no_key(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    body = "Incorrect API key provided: " + " ".join([KEY] * 40)
    error = ProviderError("openai/m", "auth", body, 401)
    detail = error.message.split(": ", 2)[2]
    assert len(detail) <= DETAIL_LIMIT
    assert KEY[:MIN_SECRET] not in error.message
    assert detail.startswith("Incorrect API key provided: [REDACTED] [REDACTED]")
