"""Throughput of `promptops eval`: N generated cases against the local OpenAI-compatible server.

Run: PYTHONPATH=src python benchmarks/eval_throughput.py [--cases 1000] [--latency 0.05] [--concurrency 32]
     [--litellm] [--tools]

The server (tests/support/openai_server.py) answers every call after `--latency` seconds; the eval runs
in a fresh `python -m promptops eval` process on the OpenAI-compatible fast path (through litellm
with `--litellm`). benchmarks/compare.py puts the same runs side by side with promptfoo. Printed: wall time of
the run (`--tools`: examples/tools, a tool-calling prompt scored by the four tool scorers, with N
generated cases), the ideal time (N x latency / concurrency), their ratio, the overhead per case, the fixed
start-up cost (interpreter + litellm import), the CPU time of the eval process (what a busy machine
stretches), and the time of a fully cached re-run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.evalproject import order_id_answer, write_project
from support.openai_server import FakeOpenAI


def timed_eval(
    root: Path, env: dict[str, str], *args: str, accept: tuple[int, ...] = (0,)
) -> tuple[float, float]:
    """Return the wall time and the CPU time (user + system) of one `promptops eval` process (exiting with
    a code in `accept`)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "promptops", "eval", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in accept:
        sys.exit(f"promptops eval exited {proc.returncode}:\n{proc.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup(env: dict[str, str], litellm: bool) -> float:
    """Return the time of a process that only imports promptops (and litellm): the fixed cost of a run."""
    start = time.perf_counter()
    warm = "; from promptops.evals import providers; providers._litellm()"
    code = "import promptops.cli" + (warm if litellm else "")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="server seconds per answer")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--litellm", action="store_true", help="PROMPTOPS_PROVIDER=litellm: the litellm path")
    parser.add_argument("--tools", action="store_true", help="examples/tools: tool calls and tool scorers")
    options = parser.parse_args()
    suite = "support-agent" if options.tools else "order-id"

    config = "version: 1\ndefaults: {timeout_s: 30, retries: 2, backoff_s: 0.05}\n"
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeOpenAI(answers=order_id_answer, latency=options.latency) as server,
    ):
        if options.tools:
            root = tools_project(Path(tmp), options.cases)
        else:
            root = write_project(Path(tmp), count=options.cases, config=config)
        env = {
            **os.environ,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "bench",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            **({"PROMPTOPS_PROVIDER": "litellm"} if options.litellm else {}),
        }
        fixed = startup(env, options.litellm)
        wall, cpu = timed_eval(root, env, "--concurrency", str(options.concurrency), "--no-cache")
        calls = server.count
        cached, _ = timed_eval(root, env, "--concurrency", str(options.concurrency))
        cached_calls = server.count - calls
        summary = json.loads((root / ".promptops/runs/latest.json").read_text())["suites"][suite]["summary"]

    ideal = max(options.cases * options.latency / options.concurrency, 1e-9)
    print(
        f"cases {options.cases}, latency {options.latency * 1000:.0f} ms, concurrency {options.concurrency}"
    )
    print(f"wall time            {wall:7.2f} s   ({calls} model calls)")
    print(f"ideal time           {ideal:7.2f} s   (cases x latency / concurrency)")
    print(f"ratio                {wall / ideal:7.2f}")
    print(f"overhead per case    {(wall - ideal) / options.cases * 1000:7.2f} ms of wall time")
    print(f"  start-up share     {fixed:7.2f} s   (interpreter + promptops imports)")
    print(f"  ratio without it   {(wall - fixed) / ideal:7.2f}")
    print(f"CPU of the eval      {cpu:7.2f} s   ({cpu / options.cases * 1000:.1f} ms per case)")
    print(f"cached re-run        {cached:7.2f} s   ({cached_calls} model calls)")
    print(f"pass rate            {summary['pass_rate']:.3f}, errors {summary['errors']}")


def tools_project(tmp: Path, count: int) -> Path:
    """Return a copy of examples/tools with `count` generated cases (lookups and refunds)."""
    root = tmp / "tools"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "tools", root)
    lines = []
    for i in range(count):
        order = f"ORD-{10000 + i % 90000:05d}"
        if i % 2:
            question, expected = f"Please refund amount={i % 50 + 1} on order_id={order}", ["refund"]
        else:
            question, expected = f"Where is order_id={order}?", ["search_orders"]
        case = {"id": f"c{i:06d}", "vars": {"customer": "Ada", "question": question}}
        lines.append(json.dumps({**case, "expected": {"tools": expected, "args": {"order_id": order}}}))
    (root / "evals" / "data" / "support-agent.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


if __name__ == "__main__":
    main()
