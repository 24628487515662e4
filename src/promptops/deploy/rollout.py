"""The canary use case: analyse a canary from the trace store, carry its verdict out, write the evidence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptops.deploy import environments, promotion
from promptops.deploy.promotion import Change
from promptops.errors import InputError, UnavailableError
from promptops.formats import dump_json
from promptops.observe.canary import report as canary_report
from promptops.observe.canary import verdict, window
from promptops.observe.canary.verdict import Analysis
from promptops.observe.canary.window import Window
from promptops.observe.traces import store
from promptops.project import Project, write_atomic

EVIDENCE_DIR = "evidence/canary"


@dataclass(frozen=True, kw_only=True)
class CanaryRun:
    window: Window
    analysis: Analysis


def analyze(
    project: Project,
    name: str,
    env: str,
    since_s: float | None,
    shadow: bool = False,
    *,
    source: str | None = None,
) -> CanaryRun:
    """Return the verdict on `env`'s canary (or shadow) of `name`; exit 3 when an arm has no records.
    With `source`, the records are read where they live (`--from`) instead of from the trace store."""
    environments.check_name(env)
    current = environments.read(project, missing_ok=False).require(env, name)
    if current.canary is None and not shadow:
        raise InputError(
            f"{env} serves {name}@{current.version} with no canary; there is nothing to analyze",
            hint=f"start one with `promptops promote {name}@VERSION --env {env} --canary 5`, "
            "or compare a shadow version with --shadow",
        )
    challenger = "shadow" if shadow else "canary"
    versions = {
        "control": current.version,
        "canary": None if shadow or current.canary is None else current.canary.version,
    }
    policy = project.config.rollout_for(name)
    scorer = policy.quality.scorer if policy.quality is not None else None
    if source is not None:
        found_records = window.read_source(
            project,
            source,
            name,
            env,
            challenger=challenger,
            version=versions["canary"],
            since_s=since_s,
            scorer=scorer,
        )
    else:
        found_records = window.read_records(
            store.location(project),
            name,
            env,
            challenger=challenger,
            version=versions["canary"],
            since_s=since_s,
        )
    records = found_records.records
    calls, no_arm, start, end, age = window.select(
        records,
        name,
        env,
        versions,
        newest=found_records.newest_s,
        first=found_records.first_s,
        since_s=since_s,
        scorer=scorer,
        shadow=shadow,
    )
    unattributed = no_arm + found_records.unattributed
    version = versions["canary"] if not shadow else _shadow_version(records, name, env)
    found = Window(
        prompt=name,
        env=env,
        control_version=current.version,
        canary_version=version,
        percent=None if shadow or current.canary is None else current.canary.percent,
        start=start,
        end=end,
        calls=tuple(calls),
        unattributed=unattributed,
        since_canary_s=age,
    )
    analysis = verdict.analyze(calls, policy, age, shadow)
    if min(analysis.arms.values()) == 0:
        raise UnavailableError(
            f"not enough attributed records for {name} in {env}: control {analysis.arms['control']}, "
            f"{challenger} {analysis.arms['canary']} (unattributed: {unattributed})",
            hint="import the traces first (`promptops traces import FILE`); records count for an arm when "
            f"their prompt version is the one {env} serves it",
        )
    return CanaryRun(window=found, analysis=analysis)


def _shadow_version(records: list[dict[str, Any]], name: str, env: str) -> str | None:
    for record in reversed(records):
        prompt = record.get("prompt")
        if (
            isinstance(prompt, dict)
            and prompt.get("name") == name
            and prompt.get("environment") == env
            and prompt.get("arm") == "shadow"
        ):
            return str(prompt.get("version"))
    return None


def carry_out(project: Project, run: CanaryRun) -> Change | None:
    """Rewrite environments.yaml as the verdict says; None when it says to wait (CONTINUE)."""
    result = run.analysis
    if run.analysis.shadow:
        raise InputError(
            "--apply needs a canary: a shadow version serves no one, so there is nothing to roll back",
            hint="the shadow verdict is evidence for `promptops promote NAME@VERSION --env ENV --canary 5`",
        )
    if result.verdict == "CONTINUE":
        return None
    promote = result.verdict == "PROMOTE" or (
        result.verdict == "INCONCLUSIVE" and result.policy.on_inconclusive == "promote"
    )
    envs = environments.read(project, missing_ok=False)
    change = promotion.settle(envs, run.window.env, run.window.prompt, promote)
    environments.write(project, envs.with_assignment(change.env, change.prompt, change.after))
    return change


def write_evidence(project: Project, run: CanaryRun) -> list[Path]:
    """Write the verdict as markdown and JSON below evidence/canary/ENV/ and return both paths."""
    base = project.root / EVIDENCE_DIR / run.window.env / run.window.prompt
    markdown, data = base.with_suffix(".md"), base.with_suffix(".json")
    write_atomic(markdown, canary_report.markdown(run.analysis, run.window))
    write_atomic(data, dump_json(canary_report.data(run.analysis, run.window)))
    return [markdown, data]
