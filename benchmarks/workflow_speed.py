"""Speed of workflow suites: promptops CPU per step, and a large agent suite against the local server.

Run: PYTHONPATH=src python benchmarks/workflow_speed.py [--cases 200] [--repeats 3] [--steps 4]
     [--latency 0.05] [--concurrency 32]

1. The built-in loop in process at 0 ms model latency: a scripted model that asks for one tool call per
   turn, answered by a mock double; CPU time per step (a step is one model call) of the loop, the
   doubles and the trajectory (what promptops adds on top of the call itself).
2. The same through `promptops eval` at 0 ms latency: the CPU of the eval process per step (the HTTP fast
   path, scoring, cache and results file included; the server runs in this process).
3. `--cases` cases x `--repeats` repeats x `--steps` model calls at `--latency` seconds and
   `--concurrency`, through `promptops eval`: wall time against the ideal (steps x latency /
   concurrency), with and without the start-up cost (interpreter + imports).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # eval_throughput, beside this file

from eval_throughput import timed_eval

from promptops.evals.calls import CallRequest, Reply, ToolCall
from promptops.evals.workflow.doubles import Doubles
from promptops.evals.workflow.loop import run_loop
from promptops.evals.workflow_config import LoopLimits, Mock
from support.agentproject import CASES, write_agent_project
from support.openai_server import FakeOpenAI

SUITE = """\
prompt: support/order-agent
dataset: data/order-agent.jsonl
loop: {{max_steps: {steps}, timeout_s: 60}}
tools:
  search_orders: {{mode: mock, response: {{status: shipped}}}}
scorers:
  - {{type: trajectory, expected: [search_orders]}}
  - {{type: steps, max_llm_calls: {steps}}}
"""


class Agentic(FakeOpenAI):
    """The local server, asking for a tool call until the conversation holds `steps - 1` tool results."""

    steps: int = 4

    def tool_calls(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        done = sum(1 for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "tool")
        if done >= self.steps - 1:
            return []
        arguments = json.dumps({"order_id": "ORD-12345"})
        return [
            {
                "id": f"call_{done}",
                "type": "function",
                "function": {"name": "search_orders", "arguments": arguments},
            }
        ]


def in_process(runs: int, steps: int) -> float:
    """Return the CPU seconds per step of the built-in loop with a scripted zero-latency model."""
    doubles = {
        "search_orders": Mock(tool="search_orders", by="order_id", responses={"*": {"status": "shipped"}})
    }
    request = CallRequest(model="m", messages=(("user", "where is ORD-12345?"),))

    async def model(r: CallRequest) -> Reply:
        turn = sum(1 for m in r.messages if isinstance(m, dict) and m.get("role") == "tool")
        if turn >= steps - 1:
            return Reply(text="shipped", input_tokens=10, output_tokens=2, cost_usd=0.0001, latency_ms=0.0)
        call = ToolCall(id=f"c{turn}", name="search_orders", arguments={"order_id": "ORD-12345"})
        return Reply(text="", tool_calls=(call,), input_tokens=10, output_tokens=2, cost_usd=0.0001)

    async def go() -> None:
        for _ in range(runs):
            await run_loop(request, Doubles(doubles), LoopLimits(max_steps=steps), model)

    start = time.process_time()
    asyncio.run(go())
    return (time.process_time() - start) / (runs * steps)


def startup(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import promptops.cli"], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def through_eval(
    cases: int, repeats: int, steps: int, latency: float, concurrency: int
) -> tuple[float, float, float, int]:
    """Return wall time, CPU time and start-up time of one eval, and the model calls it made."""
    config = "version: 1\ndefaults: {timeout_s: 30, retries: 2, backoff_s: 0.05}\n"
    many = [{**CASES[0], "id": f"c{i:04d}"} for i in range(cases)]
    with tempfile.TemporaryDirectory() as tmp, Agentic(latency=latency) as server:
        server.steps = steps
        root = write_agent_project(Path(tmp), suite=SUITE.format(steps=steps), cases=many, config=config)
        env = {
            **os.environ,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "bench",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            # the child runs in the project directory: a relative PYTHONPATH=src would not reach this tree
            "PYTHONPATH": os.pathsep.join(
                os.path.abspath(p) for p in sys.path if p and "site-packages" not in p
            ),
        }
        fixed = startup(env)
        wall, cpu = timed_eval(
            root,
            env,
            "--repeats",
            str(repeats),
            "--concurrency",
            str(concurrency),
            "--no-cache",
            accept=(0, 1),
        )
        return wall, cpu, fixed, server.count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    o = parser.parse_args(argv)

    per_step = in_process(min(2000, o.cases * 10), o.steps)
    print(f"built-in loop, in process, 0 ms latency: {per_step * 1000:.3f} ms CPU per step")
    wall, cpu, fixed, calls = through_eval(o.cases, 1, o.steps, 0.0, o.concurrency)
    print(
        f"promptops eval, {o.cases} cases x 1 repeat x {o.steps} steps, 0 ms latency: {calls} model calls, "
        f"{cpu:.2f} s CPU = {cpu / calls * 1000:.2f} ms per step with start-up "
        f"({(cpu - fixed) / calls * 1000:.2f} ms without the {fixed:.2f} s start-up)"
    )
    wall, cpu, fixed, calls = through_eval(o.cases, o.repeats, o.steps, o.latency, o.concurrency)
    ideal = calls * o.latency / o.concurrency
    print(
        f"promptops eval, {o.cases} cases x {o.repeats} repeats x {o.steps} steps, {o.latency * 1000:.0f} ms "
        f"latency, concurrency {o.concurrency}: {calls} model calls in {wall:.2f} s; ideal {ideal:.2f} s "
        f"(steps x latency / concurrency); ratio {wall / ideal:.2f}, "
        f"{(wall - fixed) / ideal:.2f} without the {fixed:.2f} s start-up; CPU {cpu:.2f} s"
    )


if __name__ == "__main__":
    main()
