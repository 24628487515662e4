"""A project in a temporary git repository with released (tagged) versions of one prompt."""

from __future__ import annotations

from pathlib import Path

from promptops.evals.records import (
    Attempt,
    Baseline,
    BaselineCase,
    CaseResult,
    Provenance,
    RunResult,
    ScoreValue,
    Summary,
)
from promptops.formats import content_hash
from promptops.prompts.promptfile import read_prompt
from support.fixtures import CLI, GitRepo

PROMPT = """\
name: order-id
version: {version}
model: openai/gpt-4o-mini-2024-07-18
params: {{temperature: 0, max_tokens: 16}}
fallbacks: [anthropic/claude-3-5-haiku-20241022]
inputs:
  type: object
  required: [message]
  properties: {{message: {{type: string, minLength: 1}}}}
messages:
  - role: system
    content: "Extract the order ID (v{version}). Reply with the ID only."
  - role: user
    content: "Message: {{{{ message }}}}"
examples:
  - {{message: "Where is ORD-12345?"}}
"""


def prompt_text(version: str) -> str:
    return PROMPT.format(version=version)


def prompt_hash(version: str) -> str:
    """Return the content hash of `order-id@version` as promptops computes it."""
    return content_hash(read_prompt(prompt_text(version).encode(), "x").content())


def start_project(repo: GitRepo) -> None:
    repo.commit({"promptops.yaml": "version: 1\n", ".gitignore": ".promptops/\n"}, "project")


def release(repo: GitRepo, version: str, tag: bool = True) -> str:
    """Commit `order-id` at `version` and tag it (the way `promptops release` does)."""
    sha = repo.commit({"prompts/order-id.yaml": prompt_text(version)}, f"order-id {version}")
    if tag:
        repo.git("tag", "-a", f"prompts/order-id/v{version}", "-m", f"order-id {version}")
    return sha


def provenance(version: str, content: str | None = None) -> Provenance:
    return Provenance(
        prompt="order-id",
        prompt_version=version,
        content_hash=content or prompt_hash(version),
        model="openai/gpt-4o-mini-2024-07-18",
        dataset_hash="sha256:" + "d" * 64,
        scorers_hash="sha256:" + "s" * 64,
        repeats=1,
        git_sha=None,
        promptops_version="0.1.0",
    )


def summary(scores: list[float]) -> Summary:
    passed = [s >= 1.0 for s in scores]
    return Summary(
        cases=len(scores),
        evaluated=len(scores),
        errors=0,
        pass_rate=sum(passed) / len(scores),
        mean_score=sum(scores) / len(scores),
        input_tokens=10 * len(scores),
        output_tokens=2 * len(scores),
        cost_usd=None,
        latency_p50_ms=100.0,
        latency_p95_ms=100.0,
    )


def run(version: str, scores: list[float]) -> RunResult:
    """Return a suite run of `order-id@version` where case i scored scores[i]."""
    cases = []
    for i, score in enumerate(scores):
        value = ScoreValue(
            name="equals", type="equals", value=score, passed=score >= 1.0, weight=1.0, required=True
        )
        attempt = Attempt(
            repeat=0,
            output="ORD-1",
            scores=(value,),
            score=score,
            passed=score >= 1.0,
            error=None,
            input_tokens=10,
            output_tokens=2,
            cost_usd=None,
            latency_ms=100.0,
        )
        cases.append(
            CaseResult(
                id=f"c{i:03d}",
                attempts=(attempt,),
                hash=f"sha256:{i:064d}",
                score=score,
                pass_rate=1.0 if score >= 1.0 else 0.0,
                passed=score >= 1.0,
            )
        )
    return RunResult(
        suite="order-id", provenance=provenance(version), cases=tuple(cases), summary=summary(scores)
    )


def baseline(version: str, scores: list[float]) -> Baseline:
    cases = tuple(
        BaselineCase(
            id=f"c{i:03d}",
            hash=f"sha256:{i:064d}",
            score=s,
            pass_rate=1.0 if s >= 1.0 else 0.0,
            passed=s >= 1.0,
            latency_ms=100.0,
        )
        for i, s in enumerate(scores)
    )
    return Baseline(suite="order-id", provenance=provenance(version), cases=cases, summary=summary(scores))


def bundled(repo: GitRepo, cli: CLI, environments: str) -> Path:
    """Release order-id 1.0.0 and 1.1.0, serve them as `environments` says, bundle; return the bundle."""
    start_project(repo)
    for version in ("1.0.0", "1.1.0"):
        release(repo, version)
    repo.commit({"environments.yaml": environments})
    assert cli("bundle", "--out", "prompts.lock.json").code == 0
    return repo.root / "prompts.lock.json"
