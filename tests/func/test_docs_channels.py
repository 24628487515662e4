"""docs/channels.md: every `$ promptops` example runs, in order, and prints what the page shows."""

from __future__ import annotations

import re
import shlex

from promptops import load_prompt
from promptops.channel import pollers
from promptops.evals import baselines
from support import releases
from support.channels import wait_for
from support.fixtures import CLI, GitRepo
from support.paths import ROOT

PAGE = (ROOT / "docs" / "channels.md").read_text(encoding="utf-8")


def examples() -> list[tuple[list[str], list[str]]]:
    """Return each `$ promptops ...` line of the page's console blocks with the lines it shows after it."""
    found: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", PAGE, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((shlex.split(line[2:]), []))
            elif found:
                found[-1][1].append(line)
    return [(args, shown) for args, shown in found if args[0] == "promptops"]


def normal(line: str) -> str:
    # hashes and serials differ from run to run: the page elides them
    line = re.sub(r"\b([0-9a-f]{8})(?:[0-9a-f]{56}|…)", "HASH", line)
    return re.sub(r"\b\d{13}\b", "SERIAL", line)


def test_the_walkthrough_runs_as_the_page_shows(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    git_repo.commit({"environments.yaml": "production:\n  order-id: 1.0.0\n"}, "serve 1.0.0")
    releases.release(git_repo, "1.1.0")
    text = baselines.to_json(releases.baseline("1.1.0", [1.0, 1.0]))
    git_repo.commit({"evals/baselines/order-id.json": text}, "baseline from 1.1.0")

    ran = []
    for args, shown in examples():
        result = cli(*args[1:])
        assert result.code == 0, (args, result.err)
        if shown:
            assert [normal(x) for x in result.err.splitlines()] == [normal(x) for x in shown], args
        if args[1] in ("promote", "rollback"):
            git_repo.commit(message=" ".join(args[1:3]))  # ship it, as the command says
        if args[1] == "promote":
            app = {
                "env": "production",
                "channel": "site",
                "public_key": "keys/promptops-signing.pub",
                "poll_s": 0.05,
                "state_dir": git_repo.root / "state",
            }
            assert load_prompt("order-id", **app).version == "1.1.0"  # type: ignore[arg-type]
        ran.append(args[1])
    try:
        assert ran == ["keygen", "promote", "publish", "rollback"]
        wait_for(lambda: load_prompt("order-id", **app).version == "1.0.0")  # type: ignore[arg-type]
    finally:
        pollers.stop_all()
