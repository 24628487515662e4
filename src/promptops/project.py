"""The project: finds the root, loads promptops.yaml, knows the paths, writes machine files."""

from __future__ import annotations

import re
import stat
import string
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from promptops import atomic
from promptops.config import (
    Budget,
    CostRule,
    ErrorRateRule,
    GatePolicy,
    LatencyRule,
    Price,
    ProjectConfig,
    QualityRule,
    RolloutPolicy,
    RunDefaults,
    RunRule,
    RunsPolicy,
    Traffic,
    duration_seconds,
)
from promptops.errors import FileFormatError, InputError, Problem
from promptops.formats import Document, decode, key_path, parse_yaml, validate

CONFIG_FILE = "promptops.yaml"
STATE_DIR = ".promptops"
MAX_FILE_BYTES = 1_000_000
PROMPT_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*")  # as in prompt.schema.json
PATH_KEYS = (
    "prompts_dir",
    "tools_dir",
    "evals_dir",
    "baselines_dir",
    "environments_file",
)  # paths promptops.yaml sets
INSIDE_HINT = "keep prompts, suites, datasets, baselines and environments inside the repository"


def read_bytes(path: Path, label: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """Return the bytes of a file, or raise InputError for a missing, odd or oversized file."""
    if path.is_dir():
        raise FileFormatError(
            [Problem(file=label, line=None, path="", message="is a directory, expected a file")]
        )
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileFormatError([Problem(file=label, line=None, path="", message="no such file")]) from None
    except OSError as exc:
        raise FileFormatError(
            [Problem(file=label, line=None, path="", message=f"cannot read: {exc.strerror}")]
        ) from None
    if not stat.S_ISREG(info.st_mode):
        # a FIFO or device would block or never end
        raise FileFormatError([Problem(file=label, line=None, path="", message="is not a regular file")])
    too_big = FileFormatError(
        [Problem(file=label, line=None, path="", message=f"file is larger than {limit} bytes")]
    )
    if info.st_size > limit:
        raise too_big
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # the file may have grown since stat
    except OSError as exc:
        raise FileFormatError(
            [Problem(file=label, line=None, path="", message=f"cannot read: {exc.strerror}")]
        ) from None
    if len(data) > limit:
        raise too_big
    return data


def find_root(start: Path) -> Path:
    """Return the nearest directory at or above `start` that holds promptops.yaml."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
        if (candidate / CONFIG_FILE).is_dir():
            raise FileFormatError(
                [
                    Problem(
                        file=str(candidate / CONFIG_FILE),
                        line=None,
                        path="",
                        message="is a directory, expected a file",
                    )
                ]
            )
    raise InputError(
        f"no {CONFIG_FILE} found in {start} or any parent directory",
        hint="run `promptops init` to create a project",
    )


def parse_config(raw: bytes, file: str) -> ProjectConfig:
    """Return the ProjectConfig in `raw`, or raise FileFormatError listing every problem."""
    doc = parse_yaml(decode(raw, file), file)
    if not isinstance(doc.data, dict):
        raise FileFormatError(
            [
                Problem(
                    file=file,
                    line=doc.line(()),
                    path="",
                    message="must be a mapping with at least `version: 1`",
                )
            ]
        )
    problems = validate(doc, "promptops-config") or _path_problems(doc) or _rollout_problems(doc)
    if not problems and "tag_format" in doc.data:
        problems = _tag_format(doc, doc.data["tag_format"])
    if problems:
        raise FileFormatError(problems, hint=INSIDE_HINT if problems[0].path in PATH_KEYS else None)
    return _to_config(doc)


def _path_problems(doc: Document) -> list[Problem]:
    """Return a problem for each configured path that is absolute or climbs out with `..`."""
    out = []
    for key in PATH_KEYS:
        value = doc.data.get(key)
        if isinstance(value, str) and (Path(value).is_absolute() or ".." in Path(value).parts):
            out.append(
                Problem(
                    file=doc.file,
                    line=doc.line((key,)),
                    path=key,
                    message=f"'{value}' leaves the project root",
                )
            )
    return out


def _tag_format(doc: Document, fmt: str) -> list[Problem]:
    """Return why `tag_format` cannot make tags: only `{name}` and `{version}` may be filled in."""
    where = Problem(file=doc.file, line=doc.line(("tag_format",)), path="tag_format", message="")
    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        return [replace(where, message=f"invalid format: {exc} (write a literal brace as {{{{ or }}}})")]
    for _text, field_name, spec, conversion in parts:
        if field_name is None:
            continue
        if field_name not in ("name", "version") or spec or conversion:
            shown = (
                "{"
                + field_name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            return [
                replace(
                    where, message=f"unknown field '{shown}'; only {{name}} and {{version}} are filled in"
                )
            ]
    return []


RULES: dict[str, type[Any]] = {
    "quality": QualityRule,
    "error_rate": ErrorRateRule,
    "latency": LatencyRule,
    "cost_per_call": CostRule,
    "steps_per_run": RunRule,
    "tool_error_rate": RunRule,
    "cost_per_run": RunRule,
}


def _rollout_problems(doc: Document) -> list[Problem]:
    """Return what the schema cannot say: a quality rule needs a scorer, after per-prompt merging."""
    rollout = doc.data.get("rollout") or {}
    out = []
    for prompt, override in [(None, {}), *(rollout.get("prompts") or {}).items()]:
        merged = _merged(rollout, override)
        if isinstance(merged.get("quality"), dict) and "scorer" not in merged["quality"]:
            path = ("rollout",) if prompt is None else ("rollout", "prompts", prompt)
            where = (*path, "quality") if "quality" in (override if prompt else rollout) else path
            out.append(
                Problem(
                    file=doc.file,
                    line=doc.line(where),
                    path=key_path(where),
                    message="quality needs a `scorer`",
                )
            )
    return out


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    # a metric's override changes only the keys it names; null switches the metric off
    out = {k: v for k, v in base.items() if k != "prompts"}
    for key, value in override.items():
        if key in RULES and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _rollout(raw: dict[str, Any]) -> RolloutPolicy:
    default = RolloutPolicy()
    rules = {k: default.__dict__[k] for k in RULES}
    for key, kind in RULES.items():
        if key in raw:
            rules[key] = None if raw[key] is None else kind(**raw[key])
    duration = raw.get("max_duration")
    return RolloutPolicy(
        min_calls_per_arm=raw.get("min_calls_per_arm", default.min_calls_per_arm),
        max_duration_s=default.max_duration_s if duration is None else (duration_seconds(duration) or 0.0),
        confidence=raw.get("confidence", default.confidence),
        on_inconclusive=raw.get("on_inconclusive", default.on_inconclusive),
        **rules,
    )


def _to_config(doc: Document) -> ProjectConfig:
    data: dict[str, Any] = doc.data
    nested = {
        "defaults",
        "gate",
        "gate_overrides",
        "prices",
        "traffic",
        "budgets",
        "runs",
        "rollout",
        "rollout_prompts",
    }
    plain = {f.name for f in fields(ProjectConfig)} - nested
    gate = dict(data.get("gate") or {})
    rollout = dict(data.get("rollout") or {})
    return ProjectConfig(
        **{k: v for k, v in data.items() if k in plain},
        defaults=RunDefaults(**(data.get("defaults") or {})),
        gate=GatePolicy(**gate),
        gate_overrides=gate,
        prices={m: Price(**p) for m, p in (data.get("prices") or {}).items()},
        runs=RunsPolicy(**(data.get("runs") or {})),
        traffic={name: Traffic(qps=float(t["qps"])) for name, t in (data.get("traffic") or {}).items()},
        budgets={
            name: Budget(
                name=name,
                monthly_usd=float(b["monthly_usd"]),
                prompts=tuple(b["prompts"]),
                alerts=tuple(sorted(float(a) for a in b.get("alerts", Budget.alerts))),
            )
            for name, b in (data.get("budgets") or {}).items()
        },
        rollout=_rollout(rollout),
        rollout_prompts={
            name: _rollout(_merged(rollout, override))
            for name, override in (rollout.get("prompts") or {}).items()
        },
    )


@dataclass(frozen=True, kw_only=True)
class Project:
    root: Path
    config: ProjectConfig

    @classmethod
    def load(cls, start: Path | None = None) -> Project:
        """Return the project containing `start` (default: the current directory)."""
        root = find_root(start or Path.cwd())
        config = parse_config(read_bytes(root / CONFIG_FILE, CONFIG_FILE), CONFIG_FILE)
        return cls(root=root, config=config)

    def contained(self, path: Path) -> Path:
        """Return `path` when it stays inside the project root with every symlink followed; else raise.

        Every path promptops reads or writes in the project goes through here (the configured
        directories, prompt, suite and baseline files, the environments file and .promptops/), so a
        symlink in a pull request cannot make promptops read or write outside the repository.
        """
        root = self.root.resolve()
        if path.resolve() != root and root not in path.resolve().parents:
            try:
                label = path.absolute().relative_to(self.root.absolute()).as_posix()
            except ValueError:
                label = str(path)
            raise FileFormatError(
                [
                    Problem(
                        file=label, line=None, path="", message="leaves the project root through a symlink"
                    )
                ],
                hint=INSIDE_HINT,
            )
        return path

    @property
    def prompts_dir(self) -> Path:
        return self.contained(self.root / self.config.prompts_dir)

    @property
    def evals_dir(self) -> Path:
        return self.contained(self.root / self.config.evals_dir)

    @property
    def baselines_dir(self) -> Path:
        return self.contained(self.root / self.config.baselines_dir)

    @property
    def state_dir(self) -> Path:
        return self.contained(self.root / STATE_DIR)

    @property
    def environments_file(self) -> Path:
        return self.contained(self.root / self.config.environments_file)

    def relative(self, path: Path) -> str:
        """Return `path` relative to the root, as a POSIX string (for messages and git)."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def prompt_path(self, name: str) -> Path:
        return self.contained(self.prompts_dir / f"{name}.yaml")

    def prompt_name(self, path: Path) -> str:
        """Return the prompt name a file path implies (path below prompts/ without .yaml)."""
        rel = path.resolve().relative_to(self.prompts_dir.resolve())
        return rel.with_suffix("").as_posix()

    def prompt_files(self) -> list[Path]:
        """Return every prompt file, sorted."""
        if not self.prompts_dir.is_dir():
            return []
        return sorted(self.contained(p) for p in self.prompts_dir.rglob("*.yaml") if p.is_file())

    def prompt_names(self) -> list[str]:
        return [self.prompt_name(p) for p in self.prompt_files()]

    def suite_files(self) -> list[Path]:
        """Return every eval suite file (YAML directly below evals/, recursively, not data/baselines)."""
        if not self.evals_dir.is_dir():
            return []
        skip = {self.baselines_dir.resolve(), (self.evals_dir / "data").resolve()}
        out = []
        for path in sorted(self.evals_dir.rglob("*.yaml")):
            if path.is_file() and not any(parent in skip for parent in path.resolve().parents):
                out.append(self.contained(path))
        return out

    def baseline_path(self, suite: str) -> Path:
        return self.contained(self.baselines_dir / f"{suite}.json")


def repo_prefix(root: Path) -> str:
    """Return the path of `root` below its git repository's top (`sub/dir/`), or "" at the top."""
    root = root.resolve()
    for parent in (root, *root.parents):
        if (parent / ".git").exists():
            rel = root.relative_to(parent).as_posix()
            return "" if rel == "." else f"{rel}/"
    return ""


TEMP_DIR = "tmp"  # below .promptops/: where writes are staged, so a killed write leaves nothing tracked


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (promptops.atomic), staged in the project's .promptops/tmp/ when
    it can be: a write killed with -9 leaves nothing in a tracked folder such as evals/baselines/."""
    atomic.write_atomic(path, text, stage=_stage_dir(path.parent))


def _stage_dir(directory: Path) -> Path:
    """Return .promptops/tmp/ of the project holding `directory` (when the project has a state folder
    and a rename from it is atomic), else `directory`."""
    for parent in (directory, *directory.parents):
        if (parent / CONFIG_FILE).is_file():
            state = parent / STATE_DIR
            if directory == state or state in directory.parents or not state.is_dir():
                return directory  # already untracked, or no state folder to stage in
            try:
                (state / TEMP_DIR).mkdir(exist_ok=True)
                existing = next(d for d in (directory, *directory.parents) if d.exists())
                if (state / TEMP_DIR).stat().st_dev == existing.stat().st_dev:  # a rename is atomic
                    return state / TEMP_DIR
            except OSError:
                pass
            return directory
    return directory
