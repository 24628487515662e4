"""A suite as loaded: its cases and scorer configurations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from promptops.config import GatePolicy
from promptops.evals.workflow_config import Workflow
from promptops.spec import PromptSpec


@dataclass(frozen=True, kw_only=True)
class ScorerConfig:
    type: str
    weight: float = 1.0
    required: bool = True
    threshold: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""  # label in results, e.g. `equals` or `regex#2`
    line: int | None = field(default=None, compare=False)  # line in the suite file


@dataclass(frozen=True, kw_only=True)
class Case:
    id: str
    vars: Mapping[str, Any]
    expected: Any = None
    tags: tuple[str, ...] = ()
    critical: bool = False
    line: int | None = None  # line in the dataset file
    hash: str = ""  # content hash of the case, to tell a changed case from an unchanged one
    # the case's own scorers (`assert:`), run after the suite's; see scoring.scorers_for
    asserts: tuple[ScorerConfig, ...] = ()
    has_expected: bool = False  # `expected` was given (so `expected: null` is a value to compare with)
    cassette: str | None = None  # recorded tool results that replay every tool of this case (DESIGN §9.4)


@dataclass(frozen=True, kw_only=True)
class Suite:
    name: str
    prompt: str
    path: str  # suite file, relative to the project root
    cases: tuple[Case, ...]
    scorers: tuple[ScorerConfig, ...]
    dataset: str | None = None  # dataset file, relative to the project root
    repeats: int | None = None
    gate: Mapping[str, Any] = field(default_factory=dict)  # the suite's overrides, as written
    policy: GatePolicy = field(default_factory=GatePolicy)  # the project policy with the overrides applied
    dataset_hash: str = ""
    scorers_hash: str = ""
    stream: bool = False  # `latency: {stream: true}`: every run of it is a latency profile
    # the prompt as read when the suite was loaded, so a run does not read and parse it again
    spec: PromptSpec | None = field(default=None, compare=False, repr=False)
    workflow: Workflow | None = None  # `loop`/`tools`/`target`: a case is a workflow run
