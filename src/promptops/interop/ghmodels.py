"""GitHub Models `.prompt.yml` files: import as prompt + suite + dataset, export a prompt back.

String evaluators keep GitHub's semantics (gh-models `eval`): `equals` exact, `contains`,
`startsWith` and `endsWith` on lower-cased text, nothing trimmed. `llm` evaluators become `llm_judge`;
built-in `uses: github/...` evaluators are reported as not carried.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from promptops.errors import InputError
from promptops.evals.cases import ScorerConfig, Suite
from promptops.interop.models import from_github, pinned, to_github
from promptops.interop.nunjucks import scoped
from promptops.interop.plan import ImportPlan, Note, jsonl_text, slug, yaml_text
from promptops.interop.promptfoo import NEUTRAL
from promptops.project import read_bytes
from promptops.spec import PromptSpec
from promptops.yamltext import Document, decode, dump_yaml, parse_yaml

PARAMS = {"maxTokens": "max_tokens", "temperature": "temperature", "topP": "top_p"}
_SIMPLE = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
_SCOPED = re.compile(r"\{\{\s*vars\.([A-Za-z_]\w*)\s*\}\}")
COMPLETION = "{% raw %}{{completion}}{% endraw %}"
_LITERAL = re.compile(r"(?:[^\\.^$*+?()\[\]{}|]|\\.)*")


def _evaluator(entry: Mapping[str, Any]) -> dict[str, Any] | str:
    """Return the scorer entry for one evaluator, or why it is not carried."""
    name = str(entry.get("name") or "")
    if "uses" in entry:
        return f"built-in evaluator {entry['uses']} runs on GitHub's side; not carried"
    if isinstance(entry.get("string"), dict):
        check = entry["string"]
        kind, value = next(iter(check.items())) if len(check) == 1 else ("", None)
        if not isinstance(value, str) or not value:
            return "a string evaluator needs exactly one of equals, contains, startsWith, endsWith"
        value = scoped(value)
        templated = "{{" in value
        out: dict[str, Any]
        if kind == "equals":
            out = {"type": "equals", "expected": value, "strip": False}
        elif kind == "contains":
            out = {"type": "icontains", "value": value}
        elif kind in ("startsWith", "endsWith") and not templated:
            body = re.escape(value)
            out = {
                "type": "regex",
                "pattern": f"^{body}" if kind == "startsWith" else f"{body}\\Z",
                "flags": "iu",
            }
        else:
            return f"string.{kind} with a template variable has no exact promptops scorer"
    elif isinstance(entry.get("llm"), dict):
        llm = entry["llm"]
        if not isinstance(llm.get("prompt"), str) or not isinstance(llm.get("modelId"), str):
            return "an llm evaluator needs `prompt` and `modelId`"
        # `{{completion}}` is the model's answer in GitHub; promptops's judge is shown it as RESPONSE
        rubric = scoped(llm["prompt"].replace("{{completion}}", "\x00")).replace("\x00", COMPLETION)
        out = {"type": "llm_judge", "rubric": rubric, "model": from_github(llm["modelId"])}
    else:
        return "unknown evaluator kind"
    if name:
        out["name"] = name
    return out


def import_gh_models(path: Path) -> ImportPlan:
    """Return the prompt, suite and dataset a `.prompt.yml` file becomes."""
    file = path.name
    doc: Document = parse_yaml(decode(read_bytes(path, file), file), file)
    data = doc.data if isinstance(doc.data, dict) else {}
    for key in ("model", "messages"):
        if not data.get(key):
            raise InputError(
                f"{file}:{doc.line((key,)) or 1}: {key}: missing (a .prompt.yml needs a model and messages)"
            )
    if not isinstance(data["messages"], list) or not all(isinstance(m, dict) for m in data["messages"]):
        raise InputError(
            f"{file}:{doc.line(('messages',)) or 1}: messages: must be a list of role/content mappings"
        )
    notes: list[Note] = []

    def note(at: tuple[str | int, ...], what: str, why: str) -> None:
        notes.append(Note(file=file, line=doc.line(at), what=what, why=why))

    name = slug(file.removesuffix(".yml").removesuffix(".yaml").removesuffix(".prompt"), "prompt")
    messages = []
    for i, message in enumerate(data.get("messages") or []):
        content = str(message.get("content", ""))
        if "{%" in content or "{#" in content:
            note(
                ("messages", i, "content"),
                "message",
                "`{%` and `{#` are Jinja2 syntax; GitHub sends them literally",
            )
            return ImportPlan(files=(), notes=tuple(notes))
        messages.append({"role": message.get("role", "user"), "content": content})
    spec: dict[str, Any] = {"name": name, "version": "1.0.0"}
    if data.get("description") or data.get("name"):
        spec["description"] = str(data.get("description") or data.get("name"))
    model, pin = pinned(from_github(str(data.get("model", ""))))
    if pin:
        notes.append(
            Note(
                file=file, line=doc.line(("model",)), what=f"model {data.get('model')}", why=pin, carried=True
            )
        )
    spec["model"] = model
    params = {PARAMS[k]: v for k, v in (data.get("modelParameters") or {}).items() if k in PARAMS}
    for key in sorted(set(data.get("modelParameters") or {}) - set(PARAMS)):
        note(("modelParameters", key), f"modelParameters.{key}", "not a parameter promptops carries")
    if params:
        spec["params"] = params
    output = _output(data, note)
    if output:
        spec["output"] = output
    spec["messages"] = messages
    rows = [r for r in data.get("testData") or [] if isinstance(r, dict)]
    if rows:
        spec["examples"] = [{k: v for k, v in rows[0].items() if k in _variables(messages)}]
    scorers = []
    for i, entry in enumerate(data.get("evaluators") or []):
        scorer = _evaluator(entry)
        if isinstance(scorer, str):
            note(("evaluators", i), f"evaluator {entry.get('name', i + 1)}", scorer)
        else:
            scorers.append(scorer)
    cases = [{"id": f"row-{k}", "vars": dict(row)} for k, row in enumerate(rows, 1)]
    header = f"imported from {file} by promptops import gh-models"
    prompt_file = (f"prompts/{name}.yaml", yaml_text(spec, header))
    if not cases:  # a suite needs at least one case (an empty golden set would pass every gate)
        return ImportPlan(files=(prompt_file,), notes=tuple(notes), prompts=(name,), suites=())
    files = (
        prompt_file,
        (
            f"evals/{name}.yaml",
            yaml_text(
                {"prompt": name, "dataset": f"data/{name}.jsonl", "scorers": scorers or [NEUTRAL]}, header
            ),
        ),
        (f"evals/data/{name}.jsonl", jsonl_text(cases)),
    )
    return ImportPlan(files=files, notes=tuple(notes), prompts=(name,), suites=(name,))


def _variables(messages: list[dict[str, Any]]) -> set[str]:
    return {m for message in messages for m in _SIMPLE.findall(message["content"])}


def _output(data: Mapping[str, Any], note: Any) -> dict[str, Any] | None:
    kind = data.get("responseFormat")
    if kind in (None, "text"):
        return None
    if kind == "json_object":
        return {"format": "json"}
    if kind == "json_schema":
        try:
            schema = json.loads(data.get("jsonSchema") or "")
        except ValueError:
            note(("jsonSchema",), "jsonSchema", "not a JSON string")
            return {"format": "json"}
        inner = schema.get("schema", schema) if isinstance(schema, dict) else None
        return {"format": "json", "schema": inner} if isinstance(inner, dict) else {"format": "json"}
    note(("responseFormat",), "responseFormat", f"unknown format {kind!r}")
    return None


def _github_template(text: str) -> str | None:
    """Return `text` with `{{ name }}`/`{{ vars.name }}` as GitHub's `{{name}}`; None when it holds more."""
    text = text.replace(COMPLETION, "{{completion}}")
    out = _SCOPED.sub(
        lambda m: "{{" + m.group(1) + "}}", _SIMPLE.sub(lambda m: "{{" + m.group(1) + "}}", text)
    )
    return None if "{%" in out or re.search(r"\{\{(?![A-Za-z_]\w*\}\})", out) else out


def _to_evaluator(scorer: ScorerConfig) -> dict[str, Any] | str:
    """Return the evaluator for a scorer, or why it cannot be carried."""
    opts = scorer.options
    if scorer.type == "equals" and isinstance(opts.get("expected"), str) and opts.get("strip") is False:
        check: dict[str, Any] = {"equals": opts["expected"]}
    elif scorer.type == "icontains" and isinstance(opts.get("value"), str):
        check = {"contains": opts["value"]}
    elif scorer.type == "regex" and opts.get("flags") == "iu":
        pattern = str(opts["pattern"])
        start, end = pattern.startswith("^"), pattern.endswith("\\Z")
        body = pattern[1:] if start else pattern[:-2] if end else ""
        if start == end or not _LITERAL.fullmatch(body):
            return "a regex is not carried (GitHub has no regex evaluator)"
        literal = re.sub(r"\\(.)", r"\1", body)
        check = {"startsWith" if start else "endsWith": literal}
    elif scorer.type == "llm_judge":
        model, _ = to_github(str(opts["model"]))
        return {
            "name": scorer.name,
            "llm": {
                "modelId": model,
                "prompt": _github_template(str(opts["rubric"])) or str(opts["rubric"]),
                "choices": [{"choice": "pass", "score": 1.0}, {"choice": "fail", "score": 0.0}],
            },
        }
    else:
        return f"scorer {scorer.type} has no GitHub Models evaluator"
    kind, value = next(iter(check.items()))
    templated = _github_template(value)
    if templated is None:
        return f"scorer {scorer.name}: its template uses more than plain variables"
    return {"name": scorer.name, "string": {kind: templated}}


def export_gh_models(spec: PromptSpec, suites: list[Suite]) -> tuple[str, list[str]]:
    """Return the `.prompt.yml` text for a prompt (its suites' cases and scorers) and what it left out."""
    notes: list[str] = [f"version {spec.version}: GitHub Models files carry no version"]
    model, model_note = to_github(spec.model)
    notes.extend([model_note] if model_note else [])
    data: dict[str, Any] = {"name": spec.name}
    if spec.description:
        data["description"] = spec.description
    data["model"] = model
    back = {v: k for k, v in PARAMS.items()}
    params = {back[k]: v for k, v in spec.params.items() if k in back}
    notes.extend(f"params.{k}: no GitHub Models parameter" for k in spec.params if k not in back)
    if params:
        data["modelParameters"] = params
    if spec.fallbacks:
        notes.append("fallbacks: GitHub Models files have one model")
    if spec.output.get("format") == "json":
        if spec.output.get("schema"):
            data["responseFormat"] = "json_schema"
            data["jsonSchema"] = json.dumps(
                {"name": spec.name, "schema": spec.output["schema"]}, sort_keys=True
            )
        else:
            data["responseFormat"] = "json_object"
    messages = []
    for message in spec.messages:
        content = _github_template(message.content)
        if content is None:
            notes.append(
                f"message ({message.role}): Jinja2 logic is not GitHub's {{{{var}}}} syntax; written as is"
            )
            content = message.content
        messages.append({"role": message.role, "content": content})
    data["messages"] = messages
    rows, evaluators = [], []
    for suite in suites:
        for case in suite.cases:
            row = dict(case.vars)
            if case.expected is not None:
                row.setdefault("expected", case.expected)
            rows.append(row)
            if case.asserts:
                notes.append(f"suite {suite.name} case {case.id}: per-case assertions are not carried")
        for scorer in suite.scorers:
            if scorer.type == "max_length" and scorer.weight == 0 and not scorer.required:
                continue  # the import's neutral scorer
            evaluator = _to_evaluator(scorer)
            if isinstance(evaluator, str):
                notes.append(f"suite {suite.name}: {evaluator}")
            else:
                evaluators.append(evaluator)
        if suite.gate:
            notes.append(f"suite {suite.name}: gate: GitHub Models has no regression gate")
    if rows:
        data["testData"] = rows
    if evaluators:
        data["evaluators"] = evaluators
    return dump_yaml(data), notes
