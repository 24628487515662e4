"""`import promptfoo`: a promptfoo config's prompts x providers x tests matrix as a promptops project.

One prompt file per (prompt, provider) at version 1.0.0, one suite per prompt file with its own JSONL
dataset, per-test assertions on their cases (`assert:`), `defaultTest` assertions as suite scorers and
provider `config` as `params`. Everything not carried is a Note with file, line and why.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, InputError
from promptops.interop.assertions import NotCarried, scorer_entry
from promptops.interop.models import litellm_model, pinned
from promptops.interop.nunjucks import Refused, Translation, translate
from promptops.interop.plan import ImportPlan, Note, jsonl_text, slug, yaml_text
from promptops.interop.sources import csv_tests, label, read_data, read_text, resolve, txt_prompts
from promptops.interop.testcases import build_cases, unique_names
from promptops.project import read_bytes
from promptops.prompts.render import variables
from promptops.yamltext import Document, decode, parse_yaml

DEFAULT_JUDGE = "openai/gpt-5.5-2026-04-23"  # promptfoo 0.121's DEFAULT_OPENAI_GRADING_MODEL
PARAMS = ("temperature", "max_tokens", "top_p", "seed", "stop", "presence_penalty", "frequency_penalty")
_CHAT_ROLES = ("system", "user", "assistant")
# a scorer that never gates, for suites whose assertions all live on their cases (a suite needs one)
NEUTRAL = {"type": "max_length", "max": 1_000_000_000, "weight": 0, "required": False, "name": "answered"}


@dataclass(frozen=True, kw_only=True)
class Prompt:
    name: str
    messages: tuple[tuple[str, Translation], ...]
    file: str
    line: int | None
    label: str = ""  # promptfoo's label (else its id or text): what a provider's `prompts` names
    position: int = 0  # place in promptfoo's list of prompts (refused prompts hold theirs)


@dataclass(frozen=True, kw_only=True)
class Provider:
    label: str
    model: str
    params: Mapping[str, Any]
    prompts: tuple[str, ...] | None = None  # the provider's `prompts`: only these are paired with it


class _Reader:
    """Reads one config, collecting notes instead of stopping at the first thing it cannot carry."""

    def __init__(self, path: Path) -> None:
        self.base = path.parent
        self.file = path.name
        text = decode(read_bytes(path, self.file), self.file)
        self.doc: Document = parse_yaml(text, self.file)
        if not isinstance(self.doc.data, dict):
            raise InputError(f"{self.file}:1: not a promptfoo config (expected a mapping)")
        self.config: dict[str, Any] = self.doc.data
        self.notes: list[Note] = []

    def note(self, at: tuple[str | int, ...], what: str, why: str, file: str | None = None) -> None:
        line = self.doc.line(at) if file is None else None
        self.notes.append(Note(file=file or self.file, line=line, what=what, why=why))

    # prompts ------------------------------------------------------------------------------------
    def prompts(self) -> list[Prompt]:
        raw = self.config.get("prompts")
        if raw is None:
            raise InputError(f"{self.file}:1: prompts: missing (promptops needs the prompts to import)")
        if isinstance(raw, dict):  # the older form: {path: label}
            raw = [{"id": path, "label": text} for path, text in raw.items()]
        entries = raw if isinstance(raw, list) else [raw]
        out: list[Prompt] = []
        for i, item in enumerate(entries):
            entry = item
            at: tuple[str | int, ...] = ("prompts", i) if isinstance(raw, list) else ("prompts",)
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                entry = {**entry, "id": self._as_file(entry["id"])}
            elif isinstance(entry, str):
                entry = self._as_file(entry)
            name = None
            if isinstance(entry, dict):
                name = entry.get("label") or entry.get("id")
                if entry.get("config"):
                    self.note(
                        (*at, "config"),
                        f"prompt {name} config",
                        "prompt-level provider config is not carried",
                    )
                entry = entry.get("raw") or entry.get("id")
            if not isinstance(entry, str):
                self.note(at, "prompt", "only text, file:// text, JSON and YAML chat prompts are carried")
                continue
            found = (
                self._file_prompts(entry, at, name)
                if entry.startswith("file://")
                else self._prompt(name or f"prompt-{i + 1}", entry, self.file, self.doc.line(at), at)
            )
            out.extend(replace(p, label=str(name or entry)) for p in found)
        kept = [replace(p, position=k) for k, p in enumerate(out) if p.messages]
        names = [p.name for p in kept]
        twice = {n for n in names if names.count(n) > 1}
        return [replace(p, name=f"{p.name}-{p.position + 1}") if p.name in twice else p for p in kept]

    def _as_file(self, text: str) -> str:
        """Return `file://text` when a bare prompt names an existing file, as promptfoo reads it."""
        suffixes = (".txt", ".json", ".yaml", ".yml", ".md", ".j2", ".njk")
        bare = not text.startswith("file://") and "\n" not in text and text.endswith(suffixes)
        return f"file://{text}" if bare and (self.base / text).is_file() else text

    def _file_prompts(self, ref: str, at: tuple[str | int, ...], name: str | None) -> list[Prompt]:
        if ref.count(":") > 1 or Path(ref.removeprefix("file://")).suffix in (
            ".js",
            ".ts",
            ".py",
            ".mjs",
            ".cjs",
        ):
            self.note(
                at, ref, "prompt functions (JavaScript or Python) are not carried; write the prompt as text"
            )
            return []
        out: list[Prompt] = []
        for path in resolve(self.base, ref):
            file = label(path, self.base)
            if path.suffix in (".json", ".yaml", ".yml"):
                try:
                    body = read_data(path, self.base)
                except (InputError, FileFormatError):
                    why = "a chat prompt that Nunjucks renders into JSON (loops over messages) is not carried"
                    self.notes.append(Note(file=file, line=1, what=f"prompt {path.stem}", why=why))
                    continue
                out.extend(self._prompt(name or slug(path.stem, "prompt"), body, file, 1, at))
                continue
            text = read_text(path, self.base)
            parts = txt_prompts(text) if path.suffix == ".txt" else [(1, text)]
            for k, (first, part) in enumerate(parts):
                stem = slug(path.stem, "prompt") + (f"-{k + 1}" if len(parts) > 1 else "")
                out.extend(self._prompt(name or stem, part, file, first, at))
        return out

    def _prompt(
        self, name: str, body: Any, file: str, line: int | None, at: tuple[str | int, ...]
    ) -> list[Prompt]:
        if isinstance(body, str) and body.lstrip().startswith("["):
            with contextlib.suppress(ValueError):
                body = json.loads(body)
        if isinstance(body, list):
            chat = [m for m in body if isinstance(m, dict) and m.get("role") in _CHAT_ROLES]
            if len(chat) != len(body) or not all(isinstance(m.get("content"), str) for m in chat):
                self.note(
                    at,
                    f"prompt {name}",
                    "chat messages need a role (system, user, assistant) and text content",
                    file if file != self.file else None,
                )
                return [Prompt(name=name, messages=(), file=file, line=line)]
            messages = [(m["role"], m["content"]) for m in chat]
        else:
            messages = [("user", str(body))]
        if not messages:
            self.notes.append(Note(file=file, line=line, what=f"prompt {name}", why="an empty chat prompt"))
            return [Prompt(name=name, messages=(), file=file, line=line)]
        try:
            translated = tuple((role, translate(content, line or 1)) for role, content in messages)
        except Refused as exc:
            self.notes.append(Note(file=file, line=exc.line, what=f"prompt {name}", why=exc.reason))
            return [Prompt(name=name, messages=(), file=file, line=line)]
        for _, t in translated:
            for change in t.changes:
                self.notes.append(Note(file=file, line=line, what=f"prompt {name}", why=change, carried=True))
        return [Prompt(name=slug(name, "prompt"), messages=translated, file=file, line=line)]

    # providers ----------------------------------------------------------------------------------
    def providers(self) -> list[Provider]:
        raw = self.config.get("providers", self.config.get("targets"))
        key = "providers" if "providers" in self.config else "targets"
        if raw is None:
            raise InputError(f"{self.file}:1: providers: missing (promptops needs a model for each prompt)")
        entries = raw if isinstance(raw, list) else [raw]
        out: list[Provider] = []
        for i, item in enumerate(entries):
            at: tuple[str | int, ...] = (key, i) if isinstance(raw, list) else (key,)
            entry = item
            if isinstance(item, dict) and len(item) == 1 and isinstance(next(iter(item.values())), dict):
                ident_key, options = next(iter(item.items()))  # the older form: {provider id: options}
                entry = {**options, "id": ident_key, "label": options.get("label") or options.get("id")}
            ident = entry if isinstance(entry, str) else entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(ident, str):
                self.note(at, "provider", "a provider needs an `id` string")
                continue
            model = litellm_model(ident)
            if model is None:
                self.note(at, ident, "not an OpenAI-compatible provider promptops can call through litellm")
                continue
            model, pin = pinned(model)
            if pin:
                self.notes.append(
                    Note(file=self.file, line=self.doc.line(at), what=ident, why=pin, carried=True)
                )
            config = entry.get("config", {}) if isinstance(entry, dict) else {}
            params = {k: v for k, v in (config or {}).items() if k in PARAMS}
            for k in sorted(set(config or {}) - set(PARAMS)):
                why = (
                    "endpoints and keys never go in prompt files; set OPENAI_BASE_URL / OPENAI_API_KEY"
                    if k.lower().startswith(("api", "base"))
                    else "not a model parameter promptops carries"
                )
                self.note((*at, "config", k), f"provider {ident} config.{k}", why)
            name = (
                entry.get("label") if isinstance(entry, dict) and entry.get("label") else ident.split(":")[-1]
            )
            only = entry.get("prompts") if isinstance(entry, dict) else None
            out.append(
                Provider(
                    label=slug(str(name), f"provider-{i + 1}"),
                    model=model,
                    params=params,
                    prompts=None
                    if only is None
                    else tuple(str(p) for p in ([only] if isinstance(only, str) else only)),
                )
            )
        return out

    # tests --------------------------------------------------------------------------------------
    def tests(self) -> list[tuple[dict[str, Any], str, int | None]]:
        raw = self.config.get("tests", [])
        entries = raw if isinstance(raw, list) else [raw]
        out: list[tuple[dict[str, Any], str, int | None]] = []
        for i, entry in enumerate(entries):
            at = ("tests", i) if isinstance(raw, list) else ("tests",)
            if isinstance(entry, dict):
                out.append((entry, self.file, self.doc.line(at)))
                continue
            if not isinstance(entry, str):
                self.note(at, "test", "a test must be a mapping or a file:// reference")
                continue
            for path in resolve(self.base, entry):
                file = label(path, self.base)
                if path.suffix == ".csv":
                    rows = csv_tests(read_text(path, self.base), file)
                elif path.suffix in (".json", ".jsonl", ".yaml", ".yml"):
                    data = read_data(path, self.base)
                    rows = data if isinstance(data, list) else [data]
                else:
                    self.note(at, entry, "only CSV, JSON, JSONL and YAML test files are carried")
                    continue
                out.extend(
                    (row, file, k + 2 if path.suffix == ".csv" else k + 1) for k, row in enumerate(rows)
                )
        return out

    def file_vars(self, values: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for key, raw in values.items():
            value = raw
            if isinstance(raw, str) and raw.startswith("file://"):
                path = resolve(self.base, raw)[0]
                value = (
                    read_data(path, self.base)
                    if path.suffix in (".json", ".yaml", ".yml")
                    else read_text(path, self.base)
                )
            out[key] = value
        return out


def import_promptfoo(path: Path) -> ImportPlan:
    """Return the promptops project a promptfoo config becomes, and the report of what was not carried."""
    reader = _Reader(path)
    prompts, providers, tests = reader.prompts(), reader.providers(), reader.tests()
    default = reader.config.get("defaultTest") or {}
    for key in ("redteam", "scenarios", "derivedMetrics", "extensions", "nunjucksFilters"):
        if key in reader.config:
            reader.note((key,), key, "not carried: promptops has no equivalent")
    judge = _judge(default) or DEFAULT_JUDGE
    scorers: list[dict[str, Any]] = []  # names made unique below
    for i, assertion in enumerate(default.get("assert") or []):
        try:
            scorers.append(scorer_entry(assertion, judge=judge))
        except NotCarried as exc:
            reader.note(
                ("defaultTest", "assert", i), f"defaultTest assertion {assertion.get('type')}", str(exc)
            )
    default_vars = reader.file_vars(default.get("vars") or {})
    if (default.get("options") or {}).get("transform"):
        reader.note(
            ("defaultTest", "options", "transform"),
            "options.transform",
            "runs JavaScript on the output; not carried",
        )
    files: list[tuple[str, str]] = []
    if not prompts:  # still report what the tests hold that cannot be carried
        build_cases(
            tests,
            config_file=reader.file,
            notes=reader.notes,
            file_vars=reader.file_vars,
            default_vars=default_vars,
            judge=judge,
            used=set(),
            plain=set(),
        )
    prompt_names: list[str] = []
    suite_names: list[str] = []
    origins: list[tuple[int, int]] = []
    for prompt in prompts:
        used = {v for _, t in prompt.messages for v in variables(t.text)}
        plain = {v for _, t in prompt.messages for v in t.plain} - {
            v for _, t in prompt.messages for v in t.in_tags
        }
        cases = build_cases(
            tests,
            config_file=reader.file,
            notes=reader.notes,
            file_vars=reader.file_vars,
            default_vars=default_vars,
            judge=judge,
            used=used,
            plain=plain,
        )
        for q_index, provider in enumerate(providers):
            if provider.prompts is not None and prompt.label not in provider.prompts:
                continue  # promptfoo pairs this provider with the prompts it names only
            origins.append((prompt.position, q_index))
            name = prompt.name if len(providers) == 1 else f"{prompt.name}-{provider.label}"
            spec: dict[str, Any] = {
                "name": name,
                "version": "1.0.0",
                "description": f"Imported from promptfoo ({prompt.file}) for provider {provider.label}.",
                "model": provider.model,
            }
            if provider.params:
                spec["params"] = dict(provider.params)
            spec["messages"] = [{"role": role, "content": t.text} for role, t in prompt.messages]
            if cases:
                spec["examples"] = [{k: v for k, v in cases[0]["vars"].items() if k in used}]
            files.append(
                (
                    f"prompts/{name}.yaml",
                    yaml_text(spec, f"imported from {reader.file} by promptops import promptfoo"),
                )
            )
            suite = {
                "prompt": name,
                "dataset": f"data/{name}.jsonl",
                "scorers": unique_names(scorers) or [NEUTRAL],
            }
            files.append((f"evals/{name}.yaml", yaml_text(suite, f"imported from {reader.file}")))
            files.append((f"evals/data/{name}.jsonl", jsonl_text(cases)))
            prompt_names.append(name)
            suite_names.append(name)
    for prompt in prompts:
        if all(o[0] != prompt.position for o in origins):
            why = (
                "no provider is paired with it (the providers' `prompts` lists leave it out), as in promptfoo"
            )
            reader.notes.append(
                Note(file=prompt.file, line=prompt.line, what=f"prompt {prompt.label}", why=why)
            )
    if _judge(default) is None and any("llm_judge" in text for _, text in files):
        why = f"no defaultTest.options.provider: graded by promptfoo 0.121's default grader, {DEFAULT_JUDGE}"
        reader.notes.append(Note(file=reader.file, line=None, what="llm-rubric", why=why, carried=True))
    notes = tuple(dict.fromkeys(reader.notes))  # each test is read once per prompt: report it once
    return ImportPlan(
        files=tuple(files),
        notes=notes,
        prompts=tuple(prompt_names),
        suites=tuple(suite_names),
        origins=tuple(origins),
    )


def _judge(default: Mapping[str, Any]) -> str | None:
    provider = (default.get("options") or {}).get("provider")
    ident = provider.get("id") if isinstance(provider, dict) else provider
    return litellm_model(ident) if isinstance(ident, str) else None
