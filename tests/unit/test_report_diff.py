"""The diff renderers keep text from files inert in PR comments."""

from __future__ import annotations

import cmarkgfm
from cmarkgfm.cmark import Options

from promptops.prompts.diff import Diff, compare
from promptops.prompts.promptfile import read_prompt
from promptops.report.diff import diff_json, fenced, prompts_markdown
from promptops.report.escape import escape
from promptops.report.escape import span as code
from support.promptfiles import prompt_yaml

HOSTILE = "</details><script>alert(1)</script>\n```\n| a | b |"


def _html(markdown: str) -> str:
    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))


def test_hostile_file_text_stays_text() -> None:
    old = read_prompt(prompt_yaml().encode(), "prompts/order-id.yaml")
    new = read_prompt(
        prompt_yaml(version="1.1.0", system=HOSTILE, description=HOSTILE).encode(), "prompts/order-id.yaml"
    )
    diff = Diff(
        base="main", head="working tree", base_sha="a" * 40, head_sha=None, prompts=(compare(old, new),)
    )
    markdown = prompts_markdown(diff)
    html = _html(markdown)
    assert "<script>" not in html
    assert html.count("<details>") == html.count("</details>") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert diff_json(diff).endswith("}\n")


def test_escape_helpers() -> None:
    assert escape("a|b <i> *x* & [l](u)") == r"a\|b &lt;i&gt; \*x\* &amp; \[l\](u)"
    assert code("x`y") == "``x`y``"
    assert code("`") == "`` ` ``"
    assert code("a|b") == r"`a\|b`"
    assert fenced("diff", "```\nx") == ["````diff", "```", "x", "````"]


def test_insufficient_bump_says_which_version_to_set() -> None:
    old = read_prompt(prompt_yaml().encode(), "prompts/order-id.yaml")
    new = read_prompt(
        prompt_yaml(version="1.0.1", system="Reply with the ID.").encode(), "prompts/order-id.yaml"
    )
    markdown = prompts_markdown(
        Diff(
            base="HEAD", head="working tree", base_sha="b" * 40, head_sha=None, prompts=(compare(old, new),)
        ),
        heading="##",
    )
    assert markdown.startswith("## Prompt changes: HEAD (`bbbbbbb`) → working tree\n")
    assert "| `order-id` | changed | 1.0.0 → 1.0.1 | patch | minor | ❌ |\n" in markdown
    assert (
        "\n❌ **Insufficient bump**: patch bump; the changes need a minor bump (messages changed). "
        "Set `version: 1.1.0` or higher.\n"
    ) in markdown
