"""promptops side by side with promptfoo (when installed) and the ideal, on this machine.

Run from the repository root (another helper's load stretches wall times: note `uptime`):

    PYTHONPATH=src python benchmarks/compare.py [--runs 3] [--markdown] [--skip-litellm] [--full]

Every eval runs in a fresh process against the local OpenAI-compatible server
(tests/support/openai_server.py, in this process), which answers after a fixed latency. Rows:
promptops on its OpenAI-compatible fast path, promptops through litellm (PROMPTOPS_PROVIDER=litellm,
the path of every other provider and the "before" of issue 19), promptfoo (`promptfoo` on PATH, e.g.
`npm install -g promptfoo@0.121`), and the ideal: cases x latency / concurrency, plus the interpreter
start-up for promptops. Figures are medians of `--runs` runs, alternating tools; CPU is user + system
time of the eval process, memory its peak resident set.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import diff_speed

from support.evalproject import PROMPT, cases, order_id_answer, write_project
from support.openai_server import FakeOpenAI

CONFIG = "version: 1\ndefaults: {timeout_s: 30, retries: 2, backoff_s: 0.05, concurrency: 32}\n"
CONCURRENCY = 32


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    calls: int
    code: int = 0


def measure(args: list[str], cwd: Path, env: dict[str, str], server: FakeOpenAI | None = None) -> Sample:
    """Run one process to the end and return its wall time, CPU time and peak memory."""
    before = server.count if server is not None else 0
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 100):  # promptfoo exits 100 when an assertion fails
        if "promptops" in args:
            sys.exit(f"{' '.join(args)} exited {code}:\n{err[-2000:]}")
        print(f"  ({Path(args[0]).name} exited {code}: {err.strip().splitlines()[-1:]})", flush=True)
    calls = (server.count if server is not None else 0) - before
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, calls, code)


def median(samples: list[Sample], field: str) -> float:
    return statistics.median(getattr(s, field) for s in samples)


class Bench:
    def __init__(self, runs: int, server: FakeOpenAI, root: Path, litellm: bool) -> None:
        self.runs = runs
        self.server = server
        self.root = root
        self.litellm = litellm
        self.promptfoo = shutil.which("promptfoo")
        base = {
            **os.environ,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "bench",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "NO_COLOR": "1",
        }
        base.pop("PROMPTOPS_PROVIDER", None)
        self.env = {
            "fast": base,
            "litellm": {**base, "PROMPTOPS_PROVIDER": "litellm"},
            "promptfoo": {
                **base,
                "PROMPTFOO_DISABLE_TELEMETRY": "1",
                "PROMPTFOO_DISABLE_UPDATE": "1",
                "PROMPTFOO_CONFIG_DIR": str(root / "promptfoo-home"),
                "CI": "1",
            },
        }
        self.rows: list[tuple[str, str, str, str, str]] = []
        # the interpreter start-up of an eval: `promptops --help` loads the interpreter, typer and the CLI
        self.startup = min(
            measure([sys.executable, "-m", "promptops", "--help"], root, base).wall for _ in range(3)
        )

    def tools(self) -> list[str]:
        return ["fast", *(["litellm"] if self.litellm else []), *(["promptfoo"] if self.promptfoo else [])]

    def project(self, count: int) -> Path:
        where = self.root / f"cases-{count}"
        if not where.exists():
            write_project(where, count=count, config=CONFIG)
            write_promptfoo(where, count, self.server.base_url)
        return where

    def command(self, tool: str, cached: bool) -> list[str]:
        if tool == "promptfoo":
            args = [
                str(self.promptfoo),
                "eval",
                "-c",
                "promptfooconfig.json",
                "-j",
                str(CONCURRENCY),
                "--no-progress-bar",
                "--no-table",
                "--no-write",
            ]
            return args if cached else [*args, "--no-cache"]
        args = [sys.executable, "-m", "promptops", "eval", "--concurrency", str(CONCURRENCY)]
        return args if cached else [*args, "--no-cache"]

    def eval_row(self, count: int, latency: float, label: str, show_cpu: bool = False) -> None:
        self.server.latency = latency
        where = self.project(count)
        results: dict[str, list[Sample]] = {t: [] for t in self.tools()}
        for _ in range(self.runs):
            for tool in self.tools():
                results[tool].append(measure(self.command(tool, False), where, self.env[tool], self.server))
        ideal = count * latency / CONCURRENCY
        cells = {}
        for tool, samples in results.items():
            wall, cpu = median(samples, "wall"), median(samples, "cpu")
            calls = samples[-1].calls
            cells[tool] = (
                f"{wall:.2f} s"
                + (f" ({cpu:.2f} s CPU, {cpu / count * 1000:.1f} ms/case)" if show_cpu else "")
                + ("" if calls >= count else f" [{calls} calls]")
            )
        ideal_text = f"{ideal:.2f} s" + (f" (+{self.startup:.2f} s start-up)" if latency else "")
        self.add(label, cells, ideal_text)

    def cached_row(self, count: int) -> None:
        self.server.latency = 0.0
        where = self.project(count)
        cells = {}
        for tool in self.tools():
            if tool == "litellm":
                cells[tool] = "(same as fast: no model calls)"
                continue
            measure(self.command(tool, True), where, self.env[tool], self.server)  # fill the cache
            samples = [
                measure(self.command(tool, True), where, self.env[tool], self.server)
                for _ in range(self.runs)
            ]
            failed = [s.code for s in samples if s.code not in (0, 100)]
            cells[tool] = (
                f"{median(samples, 'wall'):.2f} s"
                + ("" if samples[-1].calls == 0 else f" [{samples[-1].calls} calls]")
                + (f" (crashed: exit {failed[0]})" if failed else "")
            )
        self.add(f"fully cached re-run, {count:,} cases", cells, "")

    def memory_row(self, count: int, full: bool) -> None:
        self.server.latency = 0.0
        where = self.project(count)
        cells = {}
        for tool in self.tools() if full else ["fast"]:  # litellm and promptfoo take minutes here
            sample = measure(self.command(tool, False), where, self.env[tool], self.server)
            cells[tool] = f"{sample.rss_mb:.0f} MB ({sample.wall:.1f} s)"
        self.add(f"peak memory, eval of {count:,} cases", cells, "")

    def help_row(self) -> None:
        cells = {}
        for tool in self.tools():
            if tool == "litellm":
                continue
            args = (
                [str(self.promptfoo), "--help"]
                if tool == "promptfoo"
                else [sys.executable, "-m", "promptops", "--help"]
            )
            samples = [measure(args, self.root, self.env[tool]) for _ in range(self.runs)]
            cells[tool] = f"{median(samples, 'wall'):.2f} s"
        cells["litellm"] = "(same: no model calls)"
        self.add("`--help`", cells, "")

    def diff_row(self, prompts: int, commits: int) -> None:
        repo = self.root / "diff-repo"
        if not repo.exists():
            repo.mkdir()
            diff_speed.build(repo, prompts, commits)
        first = subprocess.run(
            ["git", "rev-list", "--max-parents=0", "HEAD"],
            cwd=repo,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        args = [sys.executable, "-m", "promptops", "diff", "--base", first, "--format", "json"]
        samples = [measure(args, repo, self.env["fast"]) for _ in range(self.runs)]
        cells = {"fast": f"{median(samples, 'wall'):.2f} s ({median(samples, 'cpu'):.2f} s CPU)"}
        self.add(f"`diff --base <first> --format json`, {prompts} prompts x {commits} commits", cells, "")

    def add(self, label: str, cells: dict[str, str], ideal: str) -> None:
        row = (
            label,
            cells.get("fast", ""),
            cells.get("litellm", "n/a") if self.litellm else "skipped",
            cells.get("promptfoo", "n/a" if self.promptfoo else "not installed"),
            ideal,
        )
        self.rows.append(row)
        print(" | ".join(row), flush=True)


def write_promptfoo(root: Path, count: int, base_url: str) -> None:
    """Write the same suite as a promptfoo config: the prompt's messages, params and both scorers."""
    system = "Extract the order ID. Reply with the ID only, or NONE."
    assert system in PROMPT
    messages = [{"role": "system", "content": system}, {"role": "user", "content": "Message: {{ message }}"}]
    config = {
        "description": "promptops benchmark",
        "prompts": [json.dumps(messages)],
        "providers": [
            {
                "id": "openai:chat:gpt-4o-mini-2024-07-18",
                "config": {"apiBaseUrl": base_url, "apiKey": "bench", "temperature": 0, "max_tokens": 16},
            }
        ],
        "tests": [
            {
                "vars": case["vars"],
                "assert": [
                    {"type": "equals", "value": case["expected"]},
                    {"type": "regex", "value": "^(ORD-\\d{5}|NONE)$"},
                ],
            }
            for case in cases(count)
        ],
    }
    (root / "promptfooconfig.json").write_text(json.dumps(config), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown at the end")
    parser.add_argument("--skip-litellm", action="store_true", help="leave out the litellm path (slow)")
    parser.add_argument("--memory-cases", type=int, default=10_000)
    parser.add_argument("--full", action="store_true", help="memory of every tool, not only promptops")
    options = parser.parse_args()
    os.environ.update(
        {
            "GIT_AUTHOR_NAME": "bench",
            "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "bench",
            "GIT_COMMITTER_EMAIL": "bench@example.com",
        }
    )
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI(answers=order_id_answer) as server:
        bench = Bench(options.runs, server, Path(tmp), not options.skip_litellm)
        steps: list[Callable[[], None]] = [
            bench.help_row,
            lambda: bench.eval_row(200, 0.05, "eval 200 cases, 50 ms latency, concurrency 32"),
            lambda: bench.eval_row(1000, 0.05, "eval 1,000 cases, 50 ms, concurrency 32"),
            lambda: bench.eval_row(1000, 0.0, "eval 1,000 cases, 0 ms (pure overhead)", show_cpu=True),
            lambda: bench.cached_row(1000),
            lambda: bench.memory_row(options.memory_cases, options.full),
            lambda: bench.diff_row(200, 50),
        ]
        for step in steps:
            step()
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if options.markdown:
        print("\n| work | promptops | promptops via litellm | promptfoo | ideal |\n|---|---|---|---|---|")
        for row in bench.rows:
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
