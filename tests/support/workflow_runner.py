"""Run the `run:` steps of a GitHub Actions job locally, the way a runner would.

What it models: job and step `env:` with `${{ }}` expressions (context lookups joined by `||`),
`if:` comparisons of one lookup with a string literal, the files behind GITHUB_OUTPUT /
GITHUB_STEP_SUMMARY / GITHUB_ENV, `steps.<id>.outputs`, bash with `-eo pipefail`, and stopping at
the first failing step; a composite action's steps run the same way with its `inputs`. `uses:`
steps are the caller's business (the test prepares the checkout); an expression it cannot evaluate
fails loudly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_PATH = re.compile(r"^[A-Za-z_][\w-]*(\.[\w-]+)*$")
_IF = re.compile(r"^([\w.-]+)\s*(==|!=)\s*'([^']*)'$")


@dataclass
class StepRun:
    name: str
    code: int
    out: str
    err: str
    outputs: dict[str, str]


@dataclass
class JobRun:
    steps: list[StepRun] = field(default_factory=list)
    summary: str = ""
    by_id: dict[str, Any] = field(default_factory=dict)  # the `steps` context: id -> {"outputs": ...}

    @property
    def code(self) -> int:
        return next((s.code for s in self.steps if s.code != 0), 0)

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)


def load_job(path: Path, job: str) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(data["jobs"][job])


def load_action(
    path: Path, given: dict[str, str], context: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return a composite action's steps as a job, and `context` with its `inputs` (defaults evaluated)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["runs"]["using"] == "composite"
    unknown = set(given) - set(data["inputs"])
    assert not unknown, f"no such inputs: {unknown}"
    inputs = {
        name: given.get(name, evaluate(str(spec.get("default", "")), context))
        for name, spec in data["inputs"].items()
    }
    return {"steps": data["runs"]["steps"]}, {**context, "inputs": inputs}


def condition(expr: str, context: dict[str, Any]) -> bool:
    """Return the value of an `if:` of the form `a.b == 'x'` or `a.b != 'x'`."""
    match = _IF.match(expr.strip())
    if not match:
        raise ValueError(f"the simulation cannot evaluate if: {expr}")
    value = evaluate(f"${{{{ {match.group(1)} }}}}", context)
    return (value == match.group(3)) == (match.group(2) == "==")


def evaluate(text: str, context: dict[str, Any]) -> str:
    """Return `text` with every `${{ a.b || c.d }}` replaced as GitHub would."""

    def one(match: re.Match[str]) -> str:
        last: Any = None
        for operand in (part.strip() for part in match.group(1).split("||")):
            if not _PATH.match(operand):
                raise ValueError(f"the simulation cannot evaluate ${{{{ {match.group(1)} }}}}")
            value: Any = context
            for key in operand.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if value not in (None, "", False):
                return _string(value)
            last = value
        return _string(last)

    return _EXPR.sub(one, text)


def _string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def run_job(
    job: dict[str, Any],
    *,
    cwd: Path,
    context: dict[str, Any],
    base_env: dict[str, str],
    work: Path,
    skip: frozenset[str] = frozenset(),
    timeout_s: float = 300,
) -> JobRun:
    """Run the job's `run:` steps in order (except those named in `skip`) and return what happened."""
    context = {**context, "steps": {}}
    summary = work / "step_summary.md"
    summary.write_text("", encoding="utf-8")
    env_file = work / "github_env"
    env_file.write_text("", encoding="utf-8")
    extra_env: dict[str, str] = {}
    result = JobRun()
    for index, step in enumerate(job["steps"]):
        if "run" not in step or step.get("name") in skip:
            continue
        if "if" in step and not condition(step["if"], context):
            continue
        output = work / f"output_{index}"
        output.write_text("", encoding="utf-8")
        env = {**base_env, **extra_env}
        for scope in (job.get("env") or {}, step.get("env") or {}):
            env.update({k: evaluate(str(v), context) for k, v in scope.items()})
        env.update(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary), GITHUB_ENV=str(env_file))
        script = work / f"step_{index}.sh"
        script.write_text(evaluate(step["run"], context), encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd / evaluate(step.get("working-directory", "."), context),
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        outputs = _key_values(output)
        extra_env.update(_key_values(env_file))
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
        result.steps.append(
            StepRun(step.get("name", f"step {index}"), proc.returncode, proc.stdout, proc.stderr, outputs)
        )
        if proc.returncode != 0:
            break
    result.summary = summary.read_text(encoding="utf-8")
    result.by_id = context["steps"]
    return result


def action_outputs(path: Path, run: JobRun) -> dict[str, str]:
    """Return a composite action's outputs after `run` of its steps."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: evaluate(spec["value"], {"steps": run.by_id}) for name, spec in data["outputs"].items()}


def _key_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
    return values


def runner_env(tmp: Path) -> dict[str, str]:
    """The process environment of a step: this test process's, minus anything GitHub-specific."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    # `promptops` as the install step would have put it on PATH (this interpreter's scripts).
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(CI="true", GITHUB_ACTIONS="true", RUNNER_TEMP=str(tmp), RUNNER_OS="Linux")
    return env
