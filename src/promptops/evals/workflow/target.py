"""Running the application's own code for one case run in a child process (`python:` and `exec:` targets).

A crash, a hang past the timeout or output that is not the result contract fails the case run with
`target:crash|timeout|bad-output` and the stderr tail; it never stops the eval.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptops.evals.trajectory import Step
from promptops.evals.workflow.doubles import tool_content
from promptops.evals.workflow_config import Target

STDERR_TAIL = 2000
MAX_RESULT_BYTES = 10_000_000
# the child side of a `python:` target: import module:function from the project, call it once, and write
# its return value to a file (so the target's own prints on stdout cannot corrupt the result)
_BOOT = """
import asyncio, importlib, inspect, json, sys, types
root, spec, out = sys.argv[1:4]
sys.path.insert(0, root)
module, _, name = spec.partition(":")
request = json.load(sys.stdin)
ctx = types.SimpleNamespace(traceparent=request["traceparent"], case_id=request["case_id"])
result = getattr(importlib.import_module(module), name)(request["vars"], ctx)
if inspect.isawaitable(result):
    result = asyncio.run(result)
with open(out, "w", encoding="utf-8") as handle:
    json.dump(result, handle)
"""


@dataclass(frozen=True, kw_only=True)
class TargetOutcome:
    output: str | None
    steps: tuple[Step, ...] = ()  # the tool steps the target reported
    failure: str | None = None  # target:crash | target:timeout | target:bad-output
    stderr: str | None = None
    wall_ms: float = 0.0


async def run_target(
    target: Target,
    *,
    root: Path,
    case_id: str,
    variables: Mapping[str, Any],
    env: Mapping[str, str],
    timeout_s: float,
) -> TargetOutcome:
    """Return what one case run of `target` produced, or the reason it failed."""
    request = json.dumps(
        {"vars": dict(variables), "case_id": case_id, "traceparent": env.get("TRACEPARENT", "")}
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="promptops-target-") as scratch:
        out = Path(scratch) / "result.json"
        if target.kind == "python":
            assert target.python is not None
            cmd: tuple[str, ...] = (sys.executable, "-c", _BOOT, str(root), target.python, str(out))
        else:
            cmd = target.cmd
        child_env = {**env, "HOME": env.get("HOME") or scratch}
        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd,
                cwd=root,
                env=child_env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # a timeout kills the target's whole process group
            )
        except OSError as exc:
            return TargetOutcome(output=None, failure="target:crash", stderr=f"cannot start {cmd[0]}: {exc}")
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(request.encode()), timeout_s)
        except TimeoutError:
            _kill(proc)
            await proc.wait()
            late = f"no answer within {timeout_s:g} s"
            return TargetOutcome(output=None, failure="target:timeout", stderr=late, wall_ms=_ms(started))
        finally:
            if proc.returncode is None:
                _kill(proc)
        wall = _ms(started)
        tail = _tail(stderr)
        if proc.returncode != 0:
            return TargetOutcome(
                output=None,
                failure="target:crash",
                stderr=tail or f"exit code {proc.returncode}",
                wall_ms=wall,
            )
        raw = stdout if target.kind == "exec" else (out.read_bytes() if out.is_file() else b"")
    return _parse(raw, tail, wall)


def _parse(raw: bytes, tail: str | None, wall: float) -> TargetOutcome:
    def bad(why: str) -> TargetOutcome:
        return TargetOutcome(
            output=None, failure="target:bad-output", stderr=f"{why}\n{tail}" if tail else why, wall_ms=wall
        )

    if len(raw) > MAX_RESULT_BYTES:
        return bad(f"the result is larger than {MAX_RESULT_BYTES} bytes")
    try:
        result = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return bad('the result is not JSON; expected {"output": ..., "trajectory"?: [...]}')
    if not isinstance(result, dict) or "output" not in result:
        return bad('the result has no `output`; expected {"output": ..., "trajectory"?: [...]}')
    reported = result.get("trajectory") or []
    if not isinstance(reported, list):
        return bad("`trajectory` is not a list of steps")
    steps = []
    for i, item in enumerate(reported):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return bad(f"trajectory[{i}] is not a step with a `name`")
        steps.append(_step(item))
    output = result["output"]
    return TargetOutcome(
        output=None if output is None else tool_content(output), steps=tuple(steps), stderr=tail, wall_ms=wall
    )


def _step(item: Mapping[str, Any]) -> Step:
    arguments = item.get("arguments")
    latency = item.get("latency_ms")
    return Step(
        kind="tool",
        name=item["name"],
        arguments=arguments if isinstance(arguments, dict | str) else None,
        result=item.get("result"),
        error=None if item.get("error") is None else str(item["error"]),
        latency_ms=float(latency) if isinstance(latency, int | float) else None,
    )


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _tail(stderr: bytes) -> str | None:
    text = stderr.decode("utf-8", errors="replace").strip()
    return text[-STDERR_TAIL:] or None


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
