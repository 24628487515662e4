"""`promptops import promptfoo`: the matrix, the report of what is not carried, Nunjucks, and the lint."""

from __future__ import annotations

import json
from pathlib import Path

from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI

CONFIG = """\
prompts:
  - "Translate to {{ language }}: {{ input }}"
  - file://chat.json
providers:
  - openai:gpt-4o-mini
  - id: openai:chat:gpt-4.1-nano
    label: nano
    config:
      temperature: 0
      apiBaseUrl: http://localhost:1
defaultTest:
  assert:
    - type: icontains
      value: "{{ expect }}"
tests:
  - description: French hello
    vars: {language: French, input: Hello, expect: bonjour}
    assert:
      - type: contains-any
        value: [Bonjour, Salut]
      - type: javascript
        value: output.length < 100
  - vars:
      language: [German, Spanish]
      input: Bye
      expect: b
    assert:
      - type: regex
        value: "^\\\\w+$"
  - file://more.csv
"""
CHAT = '[{"role": "system", "content": "You translate."}, {"role": "user", "content": "{{ input }} -> {{ language }}{% if flag === true %}!{% endif %}"}]'
CSV = "language,input,expect,__expected\nItalian,Hi,ciao,icontains:ciao\n"


def _config(repo: GitRepo) -> Path:
    repo.write({"pf/promptfooconfig.yaml": CONFIG, "pf/chat.json": CHAT, "pf/more.csv": CSV})
    return repo.root / "pf" / "promptfooconfig.yaml"


def test_dry_run_prints_only_the_report_and_writes_nothing(cli: CLI, git_repo: GitRepo) -> None:
    config = _config(git_repo)
    result = cli("import", "promptfoo", str(config), "--dry-run")
    assert result.code == 0
    assert result.out.splitlines() == [
        "changed: chat.json:1: prompt chat: line 1: === and !== written as == and !=",
        "changed: promptfooconfig.yaml:5: openai:gpt-4o-mini: pinned to the dated snapshot "
        "openai/gpt-4o-mini-2024-07-18 (promptops lints floating aliases)",
        "changed: promptfooconfig.yaml:6: openai:chat:gpt-4.1-nano: pinned to the dated snapshot "
        "openai/gpt-4.1-nano-2025-04-14 (promptops lints floating aliases)",
        "not carried: promptfooconfig.yaml:10: provider openai:chat:gpt-4.1-nano config.apiBaseUrl: endpoints "
        "and keys never go in prompt files; set OPENAI_BASE_URL / OPENAI_API_KEY",
        "not carried: promptfooconfig.yaml:16: test 1 assertion javascript: JavaScript assertions run code "
        "promptops does not execute; rewrite as a `python` scorer",
    ]
    assert not (git_repo.root / "prompts").exists()
    assert not (git_repo.root / "promptops.yaml").exists()


def test_the_matrix_becomes_prompt_files_suites_and_datasets_that_lint_clean(
    cli: CLI, git_repo: GitRepo
) -> None:
    config = _config(git_repo)
    result = cli("import", "promptfoo", str(config))
    assert result.code == 0, result.err
    assert result.err.splitlines()[-1] == (
        "wrote 13 files: 4 prompts, 4 suites (2 things not carried); run `promptops lint`"
    )
    names = sorted(p.stem for p in (git_repo.root / "prompts").glob("*.yaml"))
    assert names == ["chat-gpt-4o-mini", "chat-nano", "prompt-1-gpt-4o-mini", "prompt-1-nano"]
    nano = (git_repo.root / "prompts" / "chat-nano.yaml").read_text()
    assert "version: 1.0.0" in nano
    assert "model: openai/gpt-4.1-nano-2025-04-14" in nano
    assert "params:\n  temperature: 0\n" in nano
    assert "{% if flag == true %}" in nano
    suite = (git_repo.root / "evals" / "chat-nano.yaml").read_text()
    assert "- type: icontains\n  value: '{{ vars.expect }}'" in suite
    rows = [
        json.loads(line) for line in (git_repo.root / "evals/data/chat-nano.jsonl").read_text().splitlines()
    ]
    assert [r["id"] for r in rows] == ["french-hello", "test-2", "test-2-2", "test-3"]
    assert rows[0]["vars"] == {"flag": "", "input": "Hello", "language": "French", "expect": "bonjour"}
    assert rows[0]["assert"] == [{"type": "contains-any", "value": ["Bonjour", "Salut"]}]
    assert rows[1]["assert"] == [{"type": "regex", "pattern": "^\\w+\\Z"}]
    assert rows[3]["assert"] == [{"type": "icontains", "value": "ciao"}]
    lint = cli("lint")
    assert lint.code == 0, lint.out


def test_the_imported_project_evaluates(cli: CLI, git_repo: GitRepo, openai_server: FakeOpenAI) -> None:
    openai_server.answers = {"French": "Bonjour", "German": "Bye", "Spanish": "Adios amigo"}
    cli("import", "promptfoo", str(_config(git_repo)))
    result = cli("eval", "prompt-1-nano", "--out", "results.json")
    assert result.code == 0, result.err
    cases = {
        c["id"]: c["attempts"][0]
        for c in json.loads(Path("results.json").read_text())["suites"]["prompt-1-nano"]["cases"]
    }
    assert cases["french-hello"]["passed"] is True  # icontains bonjour, contains-any Bonjour
    assert cases["test-2"]["passed"] is True  # icontains b, regex ^\w+$
    assert cases["test-2-2"]["passed"] is False  # no b, and a space
    assert cases["test-3"]["passed"] is False  # the default answer has no ciao


def test_refusals_name_file_line_and_reason(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "promptfooconfig.yaml": """\
                prompts:
                  - "Hi {{ name | dump }}"
                  - "Is {{ None }}"
                  - file://prompt.py:make
                providers: [openai:gpt-4o-mini-2024-07-18, "exec:./run.sh"]
                redteam: {plugins: [harmful]}
                tests:
                  - vars: {name: x}
                    assert:
                      - type: regex
                        value: "(?i)hello"
                      - type: similar
                        value: hi
                """
        }
    )
    result = cli("import", "promptfoo", "promptfooconfig.yaml", "--dry-run")
    assert result.code == 0
    assert result.out.splitlines() == [
        "not carried: promptfooconfig.yaml:2: prompt prompt-1: the `dump` filter writes JSON spaced as "
        "JSON.stringify does; no Jinja2 filter matches it",
        "not carried: promptfooconfig.yaml:3: prompt prompt-2: `None` is an undefined variable in Nunjucks but "
        "a constant in Jinja2; use lower case",
        "not carried: promptfooconfig.yaml:4: file://prompt.py:make: prompt functions (JavaScript or Python) are "
        "not carried; write the prompt as text",
        "not carried: promptfooconfig.yaml:5: exec:./run.sh: not an OpenAI-compatible provider promptops can "
        "call through litellm",
        "not carried: promptfooconfig.yaml:6: redteam: not carried: promptops has no equivalent",
        "not carried: promptfooconfig.yaml:8: test 1 assertion regex: JavaScript has no inline flags such as "
        "(?i): promptfoo 0.121 reports an invalid regex and fails every output",
        "not carried: promptfooconfig.yaml:8: test 1 assertion similar: embedding similarity needs an embedding "
        "provider; use `similarity` or `llm_judge`",
    ]


def test_a_missing_config_and_an_existing_file_are_bad_input(cli: CLI, git_repo: GitRepo) -> None:
    missing = cli("import", "promptfoo", "nope.yaml")
    assert (missing.code, missing.err) == (2, "error: nope.yaml: no such file\n")
    config = _config(git_repo)
    assert cli("import", "promptfoo", str(config)).code == 0
    again = cli("import", "promptfoo", str(config))
    assert again.code == 2
    assert again.err.startswith("error: prompts/prompt-1-gpt-4o-mini.yaml: already exists;")
    assert "Traceback" not in again.err


def test_a_broken_config_names_file_and_line(cli: CLI, git_repo: GitRepo) -> None:
    git_repo.write({"promptfooconfig.yaml": "prompts: ['hi {{ x }}'\nproviders: [openai:gpt-4o-mini]\n"})
    result = cli("import", "promptfoo", "promptfooconfig.yaml", "--dry-run")
    assert result.code == 2
    assert result.err.startswith("error: promptfooconfig.yaml:2: ")
    assert "Traceback" not in result.err
    git_repo.write(
        {"promptfooconfig.yaml": "prompts: ['hi']\nproviders: [openai:gpt-4o-mini]\ntests: file://nope.csv\n"}
    )
    missing = cli("import", "promptfoo", "promptfooconfig.yaml")
    assert (missing.code, missing.err) == (2, "error: nope.csv: no such file\n")
