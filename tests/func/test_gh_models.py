"""`promptops import gh-models` and `export gh-models`: the mapping, what is not carried, and a stable round trip."""

from __future__ import annotations

import json
import os
from pathlib import Path

from support.fixtures import CLI, GitRepo

PROMPT_YML = """\
name: Summarizer
description: Summarizes text
model: openai/gpt-4o-mini
modelParameters:
  temperature: 0.5
  maxTokens: 200
messages:
  - role: system
    content: You summarize.
  - role: user
    content: "Summarize: {{input}}"
testData:
  - input: The quick brown fox.
    expected: Summary - a fox
  - input: Lorem ipsum.
    expected: Summary - lorem
evaluators:
  - name: starts with summary
    string:
      startsWith: "Summary -"
  - name: mentions expected
    string:
      contains: "{{expected}}"
  - name: exact
    string:
      equals: "{{expected}}"
  - name: similarity
    uses: github/similarity
  - name: judge
    llm:
      modelId: openai/gpt-4o
      prompt: "Is {{completion}} a fair summary of {{input}}?"
      choices:
        - choice: good
          score: 1.0
        - choice: bad
          score: 0.0
"""


def test_import_maps_messages_params_cases_and_evaluators(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write({"gh/summarizer.prompt.yml": PROMPT_YML})
    result = cli("import", "gh-models", "gh/summarizer.prompt.yml")
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        "changed: summarizer.prompt.yml:3: model openai/gpt-4o-mini: pinned to the dated snapshot "
        "openai/gpt-4o-mini-2024-07-18 (promptops lints floating aliases)",
        "not carried: summarizer.prompt.yml:27: evaluator similarity: built-in evaluator github/similarity runs "
        "on GitHub's side; not carried",
        "wrote 4 files: 1 prompts, 1 suites (1 things not carried); run `promptops lint`",
    ]
    prompt = (git_repo.root / "prompts" / "summarizer.yaml").read_text()
    assert "params:\n  temperature: 0.5\n  max_tokens: 200\n" in prompt
    assert "content: 'Summarize: {{input}}'" in prompt
    suite = (git_repo.root / "evals" / "summarizer.yaml").read_text()
    assert "type: regex\n  pattern: ^Summary\\ \\-\n  flags: iu" in suite
    assert "type: icontains\n  value: '{{vars.expected}}'" in suite
    assert "rubric: Is {% raw %}{{completion}}{% endraw %} a fair summary of {{vars.input}}?" in suite
    rows = [
        json.loads(line) for line in (git_repo.root / "evals/data/summarizer.jsonl").read_text().splitlines()
    ]
    assert rows[0] == {
        "id": "row-1",
        "vars": {"input": "The quick brown fox.", "expected": "Summary - a fox"},
    }
    assert cli("lint").code == 0


def test_export_writes_a_prompt_yml_and_says_what_it_left_out(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write({"gh/summarizer.prompt.yml": PROMPT_YML})
    cli("import", "gh-models", "gh/summarizer.prompt.yml")
    result = cli("export", "gh-models", "summarizer")
    assert result.code == 0
    assert result.err.splitlines() == [
        "warning: not carried: version 1.0.0: GitHub Models files carry no version",
        "warning: not carried: model openai/gpt-4o-mini-2024-07-18: GitHub Models has no dated snapshots; "
        "wrote openai/gpt-4o-mini",
    ]
    assert result.out.startswith(
        "name: summarizer\ndescription: Summarizes text\nmodel: openai/gpt-4o-mini\n"
    )
    assert "  string:\n    startsWith: Summary -\n" in result.out
    assert "  string:\n    contains: '{{expected}}'\n" in result.out
    assert "    prompt: Is {{completion}} a fair summary of {{input}}?\n" in result.out


def test_round_trip_is_stable(cli: CLI, git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write({"gh/summarizer.prompt.yml": PROMPT_YML})
    cli("import", "gh-models", "gh/summarizer.prompt.yml")
    first = cli("export", "gh-models", "summarizer", "--out", str(tmp_path / "summarizer.prompt.yml"))
    assert first.code == 0
    exported = (tmp_path / "summarizer.prompt.yml").read_text()
    again = tmp_path / "again"
    again.mkdir()
    assert cli("import", "gh-models", str(tmp_path / "summarizer.prompt.yml"), "--out", str(again)).code == 0
    os.chdir(again)
    second = cli("export", "gh-models", "summarizer")
    assert second.out == exported


def test_export_of_an_unknown_prompt_is_bad_input(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write({"promptops.yaml": "version: 1\n"})
    result = cli("export", "gh-models", "nope")
    assert result.code == 2
    assert result.err.startswith("error: ")
    assert "Traceback" not in result.err


def test_export_of_a_released_version(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write({"gh/summarizer.prompt.yml": PROMPT_YML})
    cli("import", "gh-models", "gh/summarizer.prompt.yml")
    git_repo.commit(message="import")
    assert cli("release").code == 0
    released = cli("export", "gh-models", "summarizer@1.0.0")
    assert released.code == 0, released.err
    assert released.out == cli("export", "gh-models", "summarizer").out


def test_a_prompt_file_without_a_model_or_with_bad_yaml_is_bad_input(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write(
        {"a.prompt.yml": "messages:\n  - role: user\n    content: hi\n", "b.prompt.yml": "model: [\n"}
    )
    missing = cli("import", "gh-models", "a.prompt.yml")
    assert (missing.code, missing.err) == (
        2,
        "error: a.prompt.yml:1: model: missing (a .prompt.yml needs a model and messages)\n",
    )
    broken = cli("import", "gh-models", "b.prompt.yml")
    assert broken.code == 2
    assert broken.err.startswith("error: b.prompt.yml:2: ")
    assert "Traceback" not in broken.err
    assert not (git_repo.root / "prompts").exists()
