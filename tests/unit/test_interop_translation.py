"""Nunjucks → Jinja2, JavaScript regexes → Python, and model names across tools: exact or refused."""

from __future__ import annotations

import re

import pytest

from promptops.interop.assertions import NotCarried, js_regex, scorer_entry
from promptops.interop.models import from_github, litellm_model, to_github
from promptops.interop.nunjucks import Refused, scoped, translate


@pytest.mark.parametrize(
    ("nunjucks", "jinja"),
    [
        ("Hi {{ name }}", "Hi {{ name }}"),
        ("{{name}}", "{{name}}"),
        ("{% if x === null %}a{% elseif y %}b{% endif %}", "{% if x == none %}a{% elif y %}b{% endif %}"),
        (
            "{% for k, v in obj %}{{ k }}={{ v }}{% endfor %}",
            "{% for k, v in obj.items() %}{{ k }}={{ v }}{% endfor %}",
        ),
        ("{{ 'null' }} {{ x | upper }}", "{{ 'null' }} {{ x | upper }}"),
        ("text\n", "text\n"),
    ],
)
def test_translations_are_exact(nunjucks: str, jinja: str) -> None:
    assert translate(nunjucks).text == jinja


@pytest.mark.parametrize(
    ("nunjucks", "line", "reason"),
    [
        (
            "a\n{{ x | dump }}",
            2,
            "the `dump` filter writes JSON spaced as JSON.stringify does; no Jinja2 filter matches it",
        ),
        (
            "{% if True %}x{% endif %}",
            1,
            "`True` is an undefined variable in Nunjucks but a constant in Jinja2; use lower case",
        ),
        ("{{ x | load }}", 1, "the filter `load` has no exact Jinja2 equivalent"),
        (
            "{% include 'a.njk' %}",
            1,
            "the `include` tag is not carried (prompts are single self-contained templates)",
        ),
    ],
)
def test_refusals_name_the_line_and_reason(nunjucks: str, line: int, reason: str) -> None:
    with pytest.raises(Refused) as caught:
        translate(nunjucks)
    assert (caught.value.line, caught.value.reason) == (line, reason)


def test_plain_variables_are_told_apart_from_those_in_tags() -> None:
    t = translate("{{ a }} {{ b | upper }} {% if c %}{{ c }}{% endif %}")
    assert t.plain == {"a"}
    assert {"b", "c"} <= t.in_tags


def test_assertion_templates_read_the_case_vars() -> None:
    assert scoped("{{ expected }} and {{ x | upper }} {% if y %}z{% endif %}") == (
        "{{ vars.expected }} and {{ vars.x | upper }} {% if vars.y %}z{% endif %}"
    )


@pytest.mark.parametrize(
    ("js", "matches", "misses"),
    [
        ("^\\d+$", ["123"], ["123\n", "١٢٣"]),
        ("world$", ["hello world"], ["hello world\n"]),
        ("a.c", ["abc"], ["a\rc", "a\u2028c"]),
        ("^\\s$", ["\u00a0", "\ufeff"], ["x"]),
        ("\\bcafé\\b", [], ["a café"]),  # JavaScript's \b is ASCII: é is no word character
        ("(?<year>\\d{4})-\\k<year>", ["2024-2024"], ["2024-2025"]),
        ("\\A", ["A"], ["B"]),
    ],
)
def test_javascript_regexes_match_what_javascript_matches(
    js: str, matches: list[str], misses: list[str]
) -> None:
    pattern = js_regex(js)
    for text in matches:
        assert re.search(pattern, text, re.ASCII), (js, text)
    for text in misses:
        assert not re.search(pattern, text, re.ASCII), (js, text)


@pytest.mark.parametrize("js", ["(?i)x", "[", "[^]", "a{,3}", "\\u{1F600}"])
def test_javascript_regexes_without_a_python_form_are_refused(js: str) -> None:
    with pytest.raises(NotCarried):
        js_regex(js)


def test_assertions_keep_promptfoo_semantics_in_promptops_form() -> None:
    assert scorer_entry({"type": "equals", "value": True}) == {
        "type": "equals",
        "expected": "true",
        "strip": False,
    }
    assert scorer_entry({"type": "not-contains", "value": 1.0, "weight": 2, "metric": "m"}) == {
        "type": "not-contains",
        "value": "1",
        "weight": 2,
        "name": "m",
    }
    assert scorer_entry({"type": "levenshtein", "value": "x", "threshold": 2}) == {
        "type": "levenshtein",
        "value": "x",
        "max": 2,
    }
    with pytest.raises(NotCarried, match="promptfoo needs a threshold for cost"):
        scorer_entry({"type": "cost"})


@pytest.mark.parametrize(
    ("promptfoo", "litellm"),
    [
        ("openai:gpt-4o-mini", "openai/gpt-4o-mini"),
        ("openai:chat:gpt-4o", "openai/gpt-4o"),
        ("anthropic:messages:claude-3-5-haiku-20241022", "anthropic/claude-3-5-haiku-20241022"),
        ("azure:chat:my-deployment", "azure/my-deployment"),
        ("ollama:chat:llama3", "ollama_chat/llama3"),
        ("openai:completion:gpt-3.5-turbo-instruct", None),
        ("openai:embedding:text-embedding-3-small", None),
        ("exec:./run.sh", None),
        ("echo", None),
    ],
)
def test_promptfoo_provider_ids(promptfoo: str, litellm: str | None) -> None:
    assert litellm_model(promptfoo) == litellm


def test_github_ids_round_trip() -> None:
    assert from_github("openai/gpt-4o-mini") == "openai/gpt-4o-mini"
    assert from_github("meta/Llama-3.3-70B-Instruct") == "github/meta/Llama-3.3-70B-Instruct"
    assert to_github("github/meta/Llama-3.3-70B-Instruct") == ("meta/Llama-3.3-70B-Instruct", None)
    assert to_github("openai/gpt-4o-mini-2024-07-18")[0] == "openai/gpt-4o-mini"
    model, note = to_github("anthropic/claude-3-5-haiku-20241022")
    assert model == "anthropic/claude-3-5-haiku-20241022"
    assert note is not None


def test_txt_prompt_files_split_and_trim_as_promptfoo_does() -> None:
    from promptops.interop.sources import txt_prompts

    text = "First {{ a }}\n\n--- \nSecond\r\n---\n\n---\n\ufeffThird\n"
    assert txt_prompts(text) == [(1, "First {{ a }}"), (4, "Second"), (8, "Third")]
