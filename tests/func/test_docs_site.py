"""The docs site holds to the code: the CLI reference is the one the typer app generates, the README is
a landing page, and the README's 5-minute tour runs as written."""

from __future__ import annotations

import importlib.util
import re
import shlex
from typing import Any

from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI
from support.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_cli", ROOT / "docs" / "gen_cli.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_is_generated_from_the_app_and_current() -> None:
    generated = _generator().render()
    assert (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8") == generated, (
        "docs/reference/cli.md is stale: run `python docs/gen_cli.py` (make cli-docs)"
    )
    assert "## `promptops eval`" in generated and "| `--baseline-ref <str>` |" in generated


def test_the_readme_is_a_landing_page() -> None:
    assert len(README.splitlines()) <= 300
    assert README.count("Quickstart") == 0  # one tour here; the guide lives on the site
    for link in ("CHANGELOG.md", "CONTRIBUTING.md", "SECURITY.md", "LICENSE"):
        assert f"]({link})" in README


def test_every_page_in_the_nav_exists() -> None:
    nav = re.findall(r":\s+([\w/.-]+\.md)$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.MULTILINE)
    assert len(nav) >= 20
    assert [p for p in nav if not (ROOT / "docs" / p).is_file()] == []


def _model(messages: list[dict[str, Any]]) -> str:
    found = re.search(r"ORD-\d{5}", messages[-1]["content"])
    answer = found.group(0) if found else "NONE"
    return f"Sure! The order ID is {answer}." if "Be friendly" in messages[0]["content"] else answer


def test_the_readme_tour_runs_as_written(cli: CLI, git_repo: GitRepo, openai_server: FakeOpenAI) -> None:
    openai_server.answers = _model
    tour = README.split("## A 5-minute tour\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", tour, flags=re.DOTALL)
    assert block
    codes = {}
    for line in block[1].splitlines():
        command = line.split("  #", 1)[0].strip()
        if command.startswith("promptops "):
            result = cli(*shlex.split(command)[1:])
            codes[command] = result.code
            assert result.code in (0, 1), result.err
        else:
            for part in command.split("&&"):
                git_repo.git(*shlex.split(part.strip())[1:])
        if command.startswith("git switch"):
            # "then edit prompts/order-id.yaml and bump its version": a change that regresses
            path = git_repo.root / "prompts" / "order-id.yaml"
            text = path.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.1.0")
            text = text.replace(
                "      Reply with the order ID only, or NONE when the message has none.\n",
                "      Reply with the order ID only, or NONE when the message has none.\n      Be friendly.\n",
            )
            path.write_text(text, encoding="utf-8")
    assert list(codes.values()) == [0, 0, 0, 0, 0, 1]
    assert "lint: no problems in 2 files" in README
    report = (git_repo.root / "report.md").read_text(encoding="utf-8")
    assert "promptops: FAIL" in report
