"""`promptops import promptfoo` on the config shapes a user can hit: each refusal's exact one-line report."""

from __future__ import annotations

import json

import pytest

from support.fixtures import CLI, GitRepo

MINI = "openai:gpt-4o-mini-2024-07-18"


def _dry_run(cli: CLI, git_repo: GitRepo, config: str, files: dict[str, str] | None = None) -> list[str]:
    git_repo.write({"promptfooconfig.yaml": config, **(files or {})})
    result = cli("import", "promptfoo", "promptfooconfig.yaml", "--dry-run")
    assert (result.code, result.err) == (0, "")
    return result.out.splitlines()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("- a\n", "error: promptfooconfig.yaml:1: not a promptfoo config (expected a mapping)\n"),
        (
            f"providers: [{MINI}]\n",
            "error: promptfooconfig.yaml:1: prompts: missing (promptops needs the prompts to import)\n",
        ),
        (
            "prompts: [hi]\n",
            "error: promptfooconfig.yaml:1: providers: missing (promptops needs a model for each prompt)\n",
        ),
        (
            f"prompts: [hi]\nproviders: [{MINI}]\ntests: file://t.json\n",
            "error: t.json: invalid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)\n",
        ),
    ],
)
def test_configs_that_cannot_be_imported_are_bad_input(
    cli: CLI, git_repo: GitRepo, config: str, message: str
) -> None:
    git_repo.write({"promptfooconfig.yaml": config, "t.json": "{bad"})
    result = cli("import", "promptfoo", "promptfooconfig.yaml", "--dry-run")
    assert (result.code, result.out, result.err) == (2, "", message)


def test_prompt_shapes_that_are_not_carried_are_reported(cli: CLI, git_repo: GitRepo) -> None:
    config = f"""\
        prompts:
          - id: p.txt
            label: lab
            config: {{temperature: 1}}
          - raw: 'Raw {{{{ x }}}}'
            label: rawp
          - 42
          - file://bad.json
          - file://notchat.json
          - '[]'
          - file://*.md
        providers:
          {MINI}: {{label: mini, config: {{apiKey: k, seed: 1, temperature: 0}}}}
        """
    files = {
        "p.txt": "P {{ a }}\n",
        "bad.json": "[{% for m in msgs %}{{ m }}{% endfor %}]",
        "notchat.json": '[{"role": "tool", "content": "x"}]',
        "a.md": "A {{ q }}",
        "b.md": "B",
    }
    assert _dry_run(cli, git_repo, config, files) == [
        "not carried: promptfooconfig.yaml:4: prompt lab config: prompt-level provider config is not carried",
        "not carried: promptfooconfig.yaml:7: prompt: only text, file:// text, JSON and YAML chat prompts "
        "are carried",
        "not carried: bad.json:1: prompt bad: a chat prompt that Nunjucks renders into JSON (loops over "
        "messages) is not carried",
        "not carried: notchat.json: prompt notchat: chat messages need a role (system, user, assistant) and "
        "text content",
        "not carried: promptfooconfig.yaml:10: prompt prompt-6: an empty chat prompt",
        "not carried: promptfooconfig.yaml:12: provider openai:gpt-4o-mini-2024-07-18 config.apiKey: "
        "endpoints and keys never go in prompt files; set OPENAI_BASE_URL / OPENAI_API_KEY",
    ]


def test_the_carried_prompts_become_prompt_files(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "promptfooconfig.yaml": f"""\
                prompts:
                  p.txt: Greeting
                providers:
                  - {MINI}
                tests: file://t.yaml
                """,
            "p.txt": "Hello {{ name }}\n---\nBye {{ name }}\n",
            "t.yaml": "vars: {name: Ann}\n",
        }
    )
    result = cli("import", "promptfoo", "promptfooconfig.yaml")
    assert result.code == 0
    names = sorted(p.name for p in (git_repo.root / "prompts").iterdir())
    assert names == ["greeting-1.yaml", "greeting-2.yaml"]
    assert "content: Hello {{ name }}" in (git_repo.root / "prompts/greeting-1.yaml").read_text()
    assert "content: Bye {{ name }}" in (git_repo.root / "prompts/greeting-2.yaml").read_text()
    rows = (git_repo.root / "evals" / "data" / names[0].replace(".yaml", ".jsonl")).read_text().splitlines()
    assert [json.loads(row)["vars"] for row in rows] == [{"name": "Ann"}]


def test_providers_pair_only_with_the_prompts_they_name(cli: CLI, git_repo: GitRepo) -> None:
    config = """\
        prompts: [hi, yo]
        providers:
          - 42
          - id: openai:gpt-4o-mini-2024-07-18
            prompts: hi
          - id: openai:gpt-4.1-nano-2025-04-14
            label: nano
            prompts: [nope]
        """
    assert _dry_run(cli, git_repo, config) == [
        "not carried: promptfooconfig.yaml:3: provider: a provider needs an `id` string",
        "not carried: promptfooconfig.yaml:1: prompt yo: no provider is paired with it (the providers' "
        "`prompts` lists leave it out), as in promptfoo",
    ]


def test_test_shapes_and_options_that_are_not_carried_are_reported(cli: CLI, git_repo: GitRepo) -> None:
    config = """\
        prompts: ['hi {{ a }} {{ b }}']
        providers: [openai:gpt-4o-mini-2024-07-18]
        defaultTest:
          vars: {b: file://b.txt, c: file://c.json}
          options: {transform: output.trim(), provider: openai:gpt-4o-2024-08-06}
          assert:
            - type: javascript
              value: x
            - type: llm-rubric
              value: nice
        tests:
          - 42
          - file://t.txt
          - file://t.jsonl
          - vars: {a: [1, 2]}
            options: {transform: x}
            threshold: 0.5
            metric: m
            provider: openai:x
            assert:
              - type: contains
                value: x
              - type: contains
                value: y
          - vars: {a: {k: 1}}
        scenarios: []
        """
    files = {"b.txt": "B", "c.json": '{"k": 1}', "t.txt": "x", "t.jsonl": '{"vars": {"a": "j"}}\n'}
    assert _dry_run(cli, git_repo, config, files) == [
        "not carried: promptfooconfig.yaml:12: test: a test must be a mapping or a file:// reference",
        "not carried: promptfooconfig.yaml:13: file://t.txt: only CSV, JSON, JSONL and YAML test files are "
        "carried",
        "not carried: promptfooconfig.yaml:26: scenarios: not carried: promptops has no equivalent",
        "not carried: promptfooconfig.yaml:7: defaultTest assertion javascript: JavaScript assertions run code "
        "promptops does not execute; rewrite as a `python` scorer",
        "not carried: promptfooconfig.yaml:5: options.transform: runs JavaScript on the output; not carried",
        "not carried: promptfooconfig.yaml:15: test 2 provider: not carried: promptops has no per-test "
        "equivalent",
        "not carried: promptfooconfig.yaml:15: test 2 threshold: a case passes when all its scorers pass; a "
        "weighted-score threshold is not carried",
        "not carried: promptfooconfig.yaml:15: test 2 options.transform: runs JavaScript on the output; not "
        "carried",
        "changed: promptfooconfig.yaml:15: test 2 metric: carried as the name of its scorers",
        "not carried: promptfooconfig.yaml:25: test 3: variable a is dict; Nunjucks renders it as JavaScript "
        "text",
    ]


def test_the_imported_cases_read_file_vars_and_expand_lists(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "promptfooconfig.yaml": """\
                prompts: ['hi {{ a }} {{ b }}']
                providers: [openai:gpt-4o-mini-2024-07-18]
                defaultTest:
                  vars: {b: file://b.txt}
                tests:
                  - vars: {a: [1, 2.5]}
                    metric: m
                    assert:
                      - type: contains
                        value: x
                      - type: contains
                        value: y
                """,
            "b.txt": "B",
        }
    )
    assert cli("import", "promptfoo", "promptfooconfig.yaml").code == 0
    rows = [json.loads(r) for r in (git_repo.root / "evals/data/prompt-1.jsonl").read_text().splitlines()]
    assert [(r["id"], r["vars"]) for r in rows] == [
        ("test-1", {"a": "1", "b": "B"}),
        ("test-1-2", {"a": "2.5", "b": "B"}),
    ]
    assert [s["name"] for s in rows[0]["assert"]] == ["m", "m#2"]


def test_a_rubric_without_a_grading_provider_uses_promptfoos_default_grader(
    cli: CLI, git_repo: GitRepo
) -> None:
    config = """\
        prompts: [hi]
        providers: [openai:gpt-4o-mini-2024-07-18]
        tests:
          - assert:
              - type: llm-rubric
                value: nice
        """
    assert _dry_run(cli, git_repo, config) == [
        "changed: promptfooconfig.yaml: llm-rubric: no defaultTest.options.provider: graded by promptfoo "
        "0.121's default grader, openai/gpt-5.5-2026-04-23",
    ]


def test_tests_are_still_reported_when_no_prompt_is_carried(cli: CLI, git_repo: GitRepo) -> None:
    config = """\
        prompts: [42]
        providers: [openai:gpt-4o-mini-2024-07-18]
        tests:
          - assert: [{type: webhook, value: u}]
        """
    assert _dry_run(cli, git_repo, config) == [
        "not carried: promptfooconfig.yaml:1: prompt: only text, file:// text, JSON and YAML chat prompts are "
        "carried",
        "not carried: promptfooconfig.yaml:4: test 1 assertion webhook: webhook assertions call a URL at eval "
        "time; promptops scorers do not reach the network",
    ]


def test_a_regex_with_an_unclosed_named_backreference_is_reported_not_a_crash(
    cli: CLI, git_repo: GitRepo
) -> None:
    config = """\
        prompts: [hi]
        providers: [openai:gpt-4o-mini-2024-07-18]
        tests:
          - assert:
              - type: regex
                value: "\\\\k<name"
        """
    assert _dry_run(cli, git_repo, config) == [
        "not carried: promptfooconfig.yaml:4: test 1 assertion regex: \\k< without a closing > has no exact "
        "Python form",
    ]


def test_case_ids_stay_unique_and_null_vars_render_empty(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "promptfooconfig.yaml": """\
                prompts: ['hi {{ a }}']
                providers: [openai:gpt-4o-mini-2024-07-18]
                tests:
                  - description: same
                    vars: {a: null}
                  - description: same
                    vars: {a: x}
                  - file://t.csv
                """,
            "t.csv": "a,__prefix\nz,p\n",
        }
    )
    result = cli("import", "promptfoo", "promptfooconfig.yaml")
    assert (result.code, result.out) == (0, "")
    assert result.err.splitlines() == [
        "not carried: t.csv:2: test 3 column __prefix: not carried",
        "wrote 4 files: 1 prompts, 1 suites (1 things not carried); run `promptops lint`",
    ]
    rows = [json.loads(r) for r in (git_repo.root / "evals/data/prompt-1.jsonl").read_text().splitlines()]
    assert rows == [
        {"id": "same", "vars": {"a": ""}, "description": "same"},
        {"id": "same-2", "vars": {"a": "x"}, "description": "same"},
        {"id": "test-3", "vars": {"a": "z"}},
    ]
