"""GitHub Models files: the shapes `import gh-models` refuses or reports, and what `export` leaves out."""

from __future__ import annotations

import json

import pytest

from support.fixtures import CLI, GitRepo

HEAD = "model: openai/gpt-4o-mini-2024-07-18\n"
HI = "messages:\n  - {role: user, content: hi}\n"


def _import(cli: CLI, git_repo: GitRepo, text: str) -> list[str]:
    git_repo.write({"gh/p.prompt.yml": text})
    result = cli("import", "gh-models", "gh/p.prompt.yml", "--out", "out")
    assert (result.code, result.out) == (0, "")
    return result.err.splitlines()


def test_messages_that_are_not_a_list_of_mappings_are_bad_input(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write({"p.prompt.yml": HEAD + "messages: hi\n"})
    result = cli("import", "gh-models", "p.prompt.yml")
    assert (result.code, result.out, result.err) == (
        2,
        "",
        "error: p.prompt.yml:2: messages: must be a list of role/content mappings\n",
    )


def test_jinja2_syntax_in_a_message_is_refused_and_no_prompt_is_written(cli: CLI, git_repo: GitRepo) -> None:
    lines = _import(
        cli, git_repo, HEAD + "messages:\n  - role: user\n    content: '{% if x %}y{% endif %}'\n"
    )
    assert lines == [
        "not carried: p.prompt.yml:4: message: `{%` and `{#` are Jinja2 syntax; GitHub sends them literally",
        "wrote 1 files: 0 prompts, 0 suites (1 things not carried); run `promptops lint`",
    ]
    assert not (git_repo.root / "out" / "prompts").exists()


def test_evaluators_params_and_schema_that_are_carried_or_reported(cli: CLI, git_repo: GitRepo) -> None:
    text = """\
        name: N
        model: openai/gpt-4o-mini-2024-07-18
        modelParameters: {temperature: 0, frequencyPenalty: 1}
        responseFormat: json_schema
        jsonSchema: '{"name": "x", "schema": {"type": "object"}}'
        messages:
          - content: 'Hi {{a}}'
        testData:
          - a: 1
        evaluators:
          - name: e1
            string: {equals: x, contains: y}
          - name: e2
            string: {endsWith: "{{a}}"}
          - name: e3
            string: {endsWith: ".done"}
          - name: e4
            llm: {prompt: 1}
          - name: e5
            other: 1
          - string: {equals: x}
        """
    assert _import(cli, git_repo, text) == [
        "not carried: p.prompt.yml:3: modelParameters.frequencyPenalty: not a parameter promptops carries",
        "not carried: p.prompt.yml:11: evaluator e1: a string evaluator needs exactly one of equals, contains, "
        "startsWith, endsWith",
        "not carried: p.prompt.yml:13: evaluator e2: string.endsWith with a template variable has no exact "
        "promptops scorer",
        "not carried: p.prompt.yml:17: evaluator e4: an llm evaluator needs `prompt` and `modelId`",
        "not carried: p.prompt.yml:19: evaluator e5: unknown evaluator kind",
        "wrote 4 files: 1 prompts, 1 suites (5 things not carried); run `promptops lint`",
    ]
    prompt = (git_repo.root / "out/prompts/p.yaml").read_text()
    assert "description: N\n" in prompt
    assert "params:\n  temperature: 0\noutput:\n  format: json\n  schema:\n    type: object\n" in prompt
    assert "messages:\n- role: user\n  content: Hi {{a}}\nexamples:\n- a: 1\n" in prompt
    suite = (git_repo.root / "out/evals/p.yaml").read_text()
    assert suite.endswith(
        "scorers:\n- type: regex\n  pattern: \\.done\\Z\n  flags: iu\n  name: e3\n"
        "- type: equals\n  expected: x\n  strip: false\n"
    )
    rows = (git_repo.root / "out/evals/data/p.jsonl").read_text().splitlines()
    assert [json.loads(r) for r in rows] == [{"id": "row-1", "vars": {"a": 1}}]


@pytest.mark.parametrize(
    ("fmt", "notes", "output"),
    [
        (
            "responseFormat: json_schema\njsonSchema: '{bad'\n",
            ["not carried: p.prompt.yml:3: jsonSchema: not a JSON string"],
            "output:\n  format: json\nmessages:",
        ),
        ("responseFormat: json_schema\njsonSchema: '[1]'\n", [], "output:\n  format: json\nmessages:"),
        ("responseFormat: json_object\n", [], "output:\n  format: json\nmessages:"),
        (
            "responseFormat: xml\n",
            ["not carried: p.prompt.yml:2: responseFormat: unknown format 'xml'"],
            "model: openai/gpt-4o-mini-2024-07-18\nmessages:",
        ),
    ],
)
def test_response_formats(cli: CLI, git_repo: GitRepo, fmt: str, notes: list[str], output: str) -> None:
    lines = _import(cli, git_repo, HEAD + fmt + HI)
    assert lines[:-1] == notes
    assert output in (git_repo.root / "out/prompts/p.yaml").read_text()


PROMPT = """\
name: ex
version: 1.2.0
model: openai/gpt-4o-2024-08-06
fallbacks: [openai/gpt-4o-mini-2024-07-18]
params: {temperature: 0, seed: 7}
output:
  format: json
  schema: {type: object}
messages:
  - role: system
    content: "{% if strict %}Be strict.{% endif %}"
  - role: user
    content: "Hi {{ name }}"
"""
SUITE = """\
prompt: ex
dataset: data/ex.jsonl
gate: {max_score_drop: 0.0}
scorers:
  - {type: equals, expected: "{{ vars.name | upper }}", strip: false, name: shout}
  - {type: regex, pattern: "a.b", flags: iu, name: pat}
  - {type: regex, pattern: "^Hi", flags: iu, name: hi}
  - {type: contains, value: x, name: plain}
  - {type: llm_judge, rubric: "Is it kind to {{ vars.name }}?", model: openai/gpt-4o-2024-08-06, name: judge}
"""
DATA = (
    '{"id": "a", "vars": {"name": "Ann"}, "expected": "ANN"}\n'
    '{"id": "b", "vars": {"name": "Bo"}, "assert": [{"type": "contains", "value": "Bo"}]}\n'
)


def test_export_writes_what_github_holds_and_warns_about_the_rest(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "promptops.yaml": "version: 1\n",
            "prompts/ex.yaml": PROMPT,
            "evals/ex.yaml": SUITE,
            "evals/data/ex.jsonl": DATA,
        }
    )
    assert cli("lint").code == 0
    result = cli("export", "gh-models", "ex")
    assert result.code == 0
    assert result.err.splitlines() == [
        "warning: not carried: version 1.2.0: GitHub Models files carry no version",
        "warning: not carried: model openai/gpt-4o-2024-08-06: GitHub Models has no dated snapshots; wrote "
        "openai/gpt-4o",
        "warning: not carried: params.seed: no GitHub Models parameter",
        "warning: not carried: fallbacks: GitHub Models files have one model",
        "warning: not carried: message (system): Jinja2 logic is not GitHub's {{var}} syntax; written as is",
        "warning: not carried: suite ex case b: per-case assertions are not carried",
        "warning: not carried: suite ex: scorer shout: its template uses more than plain variables",
        "warning: not carried: suite ex: a regex is not carried (GitHub has no regex evaluator)",
        "warning: not carried: suite ex: scorer contains has no GitHub Models evaluator",
        "warning: not carried: suite ex: gate: GitHub Models has no regression gate",
    ]
    assert result.out == (
        "name: ex\n"
        "model: openai/gpt-4o\n"
        "modelParameters:\n  temperature: 0\n"
        "responseFormat: json_schema\n"
        """jsonSchema: '{"name": "ex", "schema": {"type": "object"}}'\n"""
        "messages:\n"
        "- role: system\n  content: '{% if strict %}Be strict.{% endif %}'\n"
        "- role: user\n  content: Hi {{name}}\n"
        "testData:\n- name: Ann\n  expected: ANN\n- name: Bo\n"
        "evaluators:\n"
        "- name: hi\n  string:\n    startsWith: Hi\n"
        "- name: judge\n  llm:\n    modelId: openai/gpt-4o\n    prompt: Is it kind to {{name}}?\n"
        "    choices:\n    - choice: pass\n      score: 1.0\n    - choice: fail\n      score: 0.0\n"
    )


def test_a_json_object_prompt_without_evaluators_round_trips(cli: CLI, git_repo: GitRepo) -> None:
    text = HEAD + "responseFormat: json_object\n" + HI + "testData:\n  - {q: 1}\n"
    git_repo.write({"gh/x.prompt.yml": text})
    assert cli("import", "gh-models", "gh/x.prompt.yml").code == 0
    result = cli("export", "gh-models", "x")
    assert result.code == 0
    assert result.out == (
        "name: x\nmodel: openai/gpt-4o-mini\nresponseFormat: json_object\n"
        "messages:\n- role: user\n  content: hi\ntestData:\n- q: 1\n"
    )


def test_a_prompt_without_a_suite_exports_without_test_data(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "promptops.yaml": "version: 1\n",
            "prompts/solo.yaml": "name: solo\nversion: 1.0.0\nmodel: github/meta/Llama-3.3-70B-Instruct\n"
            "messages:\n  - {role: user, content: 'Hi {{ name }}'}\n",
        }
    )
    assert cli("lint").code == 0
    result = cli("export", "gh-models", "solo")
    assert (result.code, result.err) == (
        0,
        "warning: not carried: version 1.0.0: GitHub Models files carry no version\n",
    )
    assert result.out == (
        "name: solo\nmodel: meta/Llama-3.3-70B-Instruct\nmessages:\n- role: user\n  content: Hi {{name}}\n"
    )


def test_a_file_without_test_data_imports_as_a_prompt_that_exports_again(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write({"gh/x.prompt.yml": HEAD + HI})
    imported = cli("import", "gh-models", "gh/x.prompt.yml")
    assert (imported.code, imported.err) == (
        0,
        "wrote 2 files: 1 prompts, 0 suites (0 things not carried); run `promptops lint`\n",
    )
    assert not (git_repo.root / "evals").exists()
    exported = cli("export", "gh-models", "x")
    assert (exported.code, exported.out) == (
        0,
        "name: x\nmodel: openai/gpt-4o-mini\nmessages:\n- role: user\n  content: hi\n",
    )
