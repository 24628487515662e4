"""Text <-> model: strict JSON, JSON Schema checks, bounded regexes (YAML: yamltext; JSON out: jsontext)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import jsonschema
import regex
from referencing import Registry
from referencing.exceptions import Unresolvable

from promptops.errors import FileFormatError, InputError, Problem
from promptops.jsontext import FLOAT_DIGITS, content_hash, dump_json, normalize
from promptops.yamltext import Document, Path, decode, dump_yaml, key_path, parse_yaml

# re-exported: callers keep importing deterministic JSON (jsontext) and YAML documents (yamltext) from here
__all__ = [
    "FLOAT_DIGITS",
    "Document",
    "Path",
    "content_hash",
    "decode",
    "dump_json",
    "dump_yaml",
    "key_path",
    "normalize",
    "parse_yaml",
]

MAX_INT_DIGITS = 4300  # Python's int-string conversion limit (sys.get_int_max_str_digits)
REGEX_SECONDS = 0.5  # longest one regular expression may run on text a model wrote


class _JSONValueError(ValueError):
    """A JSON value that parses but is not data promptops accepts (NaN, a duplicate key)."""


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JSONValueError(f"duplicate key {json.dumps(key, ensure_ascii=False)}")
        out[key] = value
    return out


def _json_constant(name: str) -> Any:
    raise _JSONValueError(f"{name} is not allowed (numbers must be finite)")


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JSONValueError(f"{text} is too large (numbers must be finite)")
    return value


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    too_large = _JSONValueError(f"an integer of {digits} digits is too large (at most {MAX_INT_DIGITS})")
    if digits > MAX_INT_DIGITS:  # int() raises ValueError past Python's int-string limit (4300 by default)
        raise too_large
    try:
        return int(text)
    except ValueError:  # PYTHONINTMAXSTRDIGITS set lower still
        raise too_large from None


def load_json(text: str, file: str, *, line: int | None = None, hint: str | None = None) -> Any:
    """Return the data of JSON `text`; raise FileFormatError for invalid JSON, NaN/Infinity,
    duplicate keys or nesting too deep, naming `file` and the line (`line` for one JSONL line)."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_json_object,
            parse_constant=_json_constant,
            parse_float=_json_float,
            parse_int=_json_int,
        )
    except json.JSONDecodeError as exc:
        where = exc.lineno if line is None else line
        column = f" (column {exc.colno})"
        problem = Problem(file=file, line=where, path="", message=f"invalid JSON: {exc.msg}{column}")
    except _JSONValueError as exc:
        problem = Problem(file=file, line=line, path="", message=f"invalid JSON: {exc}")
    except RecursionError:
        problem = Problem(file=file, line=line, path="", message="invalid JSON: nested too deeply")
    raise FileFormatError([problem], hint=hint)


@cache
def schema(name: str) -> dict[str, Any]:
    """Return the packaged JSON Schema `name` (e.g. `prompt`)."""
    text = resources.files("promptops.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def find(pattern: str, text: str, flags: int = 0, *, at_start: bool = False) -> Any:
    """Return the match of `pattern` (re syntax and `re` flags) in `text` (re.search, or re.match with
    `at_start`), or None, within REGEX_SECONDS.

    A pattern such as `^(a|aa)+$` backtracks for hours on `aaa...a!`; the `regex` engine stops it:
    raise TimeoutError then, and re.error for an invalid pattern.
    """
    mapped = 0
    for flag in re.RegexFlag:
        if flags & flag and flag.name is not None and hasattr(regex, flag.name):
            mapped |= getattr(regex, flag.name)
    run = regex.match if at_start else regex.search
    try:
        return run(pattern, text, mapped, timeout=REGEX_SECONDS)
    except regex.error as exc:
        raise re.error(str(exc)) from None
    except TimeoutError:
        raise TimeoutError(f"the regular expression ran for more than {REGEX_SECONDS:g} s") from None


def search(pattern: str, text: str, flags: int = 0) -> bool:
    """Return whether `pattern` matches in `text` (see `find`: bounded in time)."""
    return find(pattern, text, flags) is not None


def _pattern(validator: Any, pattern: str, instance: Any, rules: Any) -> Iterable[Any]:
    if validator.is_type(instance, "string"):
        try:
            if not search(pattern, instance):
                yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")
        except TimeoutError as exc:
            yield jsonschema.ValidationError(f"{exc} matching {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Mapping[str, Any], instance: Any, rules: Any
) -> Iterable[Any]:
    if validator.is_type(instance, "object"):
        for pattern, subschema in patterns.items():
            for key, value in instance.items():
                try:
                    matched = search(pattern, key)
                except TimeoutError as exc:
                    yield jsonschema.ValidationError(f"{exc} matching {pattern!r}")
                    continue
                if matched:
                    yield from validator.descend(value, subschema, path=key, schema_path=pattern)


# Draft 2020-12 with the two keywords that run a regex on the instance bounded in time.
_Validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties}
)


def validate(doc: Document, schema_name: str) -> list[Problem]:
    """Return every schema problem of `doc`, each located by line and key path."""
    return validate_data(doc.data, schema(schema_name), doc)


@cache
def _schema_checker() -> jsonschema.Draft202012Validator:
    meta = jsonschema.Draft202012Validator.META_SCHEMA
    return jsonschema.Draft202012Validator(
        meta, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER, registry=_NO_RETRIEVAL
    )


_JSON_TYPES = "array, boolean, integer, null, number, object, string"
_REF_KEYS = ("$ref", "$dynamicRef")
# An empty registry: its retrieve function refuses every URI, so no schema ever reads a file or the network.
_NO_RETRIEVAL: Registry[Any] = Registry()


def foreign_refs(rules: Any, at: Path = ()) -> list[tuple[Path, str]]:
    """Return the key path and value of every `$ref` in `rules` that points outside the schema itself.

    Schemas in promptops files must be self-contained: only `#...` references (`#/$defs/x`) are allowed,
    so validating never opens a file (`file:///...`) or fetches a URL (`https://...`).
    """
    found: list[tuple[Path, str]] = []
    stack: list[tuple[Path, Any]] = [(at, rules)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key in _REF_KEYS and isinstance(value, str) and not value.startswith("#"):
                    found.append(((*path, key), value))
                stack.append(((*path, str(key)), value))
        elif isinstance(node, list):
            stack.extend(((*path, i), value) for i, value in enumerate(node))
    return sorted(found, key=lambda item: [str(p) for p in item[0]])


def _foreign_message(value: str) -> str:
    shown = json.dumps(value if len(value) <= 80 else value[:79] + "…", ensure_ascii=False)
    return (
        f"refers to {shown} outside this schema; schemas must be self-contained "
        "(only '#/...' references, e.g. '#/$defs/item')"
    )


def check_schema(rules: Any, doc: Document, at: Iterable[str | int]) -> list[Problem]:
    """Return every reason why `rules` (found at key path `at` of `doc`) is not a usable JSON Schema."""
    problems = [
        Problem(file=doc.file, line=doc.line(path), path=key_path(path), message=_foreign_message(value))
        for path, value in foreign_refs(rules, tuple(at))
    ]
    try:
        found = _schema_errors(json.dumps(rules, sort_keys=True))  # prompts often share their schemas
    except (TypeError, ValueError):
        found = _schema_errors_of(rules)
    for relative, text, type_name, bad_regex in found:
        path: Path = (*at, *relative)
        message = f"not a valid JSON Schema: {text}"
        if path[-1] == "type" and type_name is not None:
            message = f"unknown type '{type_name}'; expected one of: {_JSON_TYPES}"
        elif bad_regex is not None:
            message = f"invalid regular expression {bad_regex}"
        problems.append(Problem(file=doc.file, line=doc.line(path), path=key_path(path), message=message))
    return problems


_SchemaError = tuple[Path, str, str | None, str | None]  # path, message, bad type name, bad regex (JSON)


@lru_cache(maxsize=512)
def _schema_errors(canonical: str) -> tuple[_SchemaError, ...]:
    return _schema_errors_of(json.loads(canonical))


def _schema_errors_of(rules: Any) -> tuple[_SchemaError, ...]:
    out = []
    for err in sorted(_schema_checker().iter_errors(rules), key=lambda e: [str(p) for p in e.absolute_path]):
        type_name = err.instance if isinstance(err.instance, str) else None
        is_regex = err.validator == "format" and err.validator_value == "regex"
        bad_regex = json.dumps(err.instance) if is_regex else None
        out.append((tuple(err.absolute_path), err.message, type_name, bad_regex))
    return tuple(out)


def validate_data(
    data: Any, rules: Mapping[str, Any], doc: Document | None = None, file: str = ""
) -> list[Problem]:
    """Return every problem of `data` under the JSON Schema `rules` (which must be self-contained)."""
    label = file or (doc.file if doc else "")
    held = _VALIDATORS.get(id(rules))
    # a schema already compiled has been checked: scorers validate each output against the same one
    foreign = foreign_refs(rules) if held is None or held[0] is not rules else []
    if foreign:
        path, value = foreign[0]
        raise InputError(f"{label}: {key_path(path)}: {_foreign_message(value)}")
    try:
        validator = _validator(rules)
        errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    except jsonschema.exceptions.SchemaError as exc:
        raise InputError(f"{label}: invalid JSON Schema: {exc.message}") from None
    except Unresolvable as exc:
        raise InputError(f"{label}: invalid JSON Schema: cannot resolve reference {exc}") from None
    except re.error as exc:
        raise InputError(f"{label}: invalid JSON Schema pattern: {exc}") from None
    problems: list[Problem] = []
    seen: set[tuple[int | None, str, str]] = set()
    for err in errors:
        for problem in _describe_each(err, doc, file):
            key = (problem.line, problem.path, problem.message)
            if key not in seen:
                seen.add(key)
                problems.append(problem)
    problems.sort(key=lambda p: (p.line or 0, p.path))
    return problems


_VALIDATORS: dict[int, tuple[Mapping[str, Any], jsonschema.Draft202012Validator]] = {}


def _validator(rules: Mapping[str, Any]) -> jsonschema.Draft202012Validator:
    """Return the validator of `rules`, built once per schema object (a suite validates each case)."""
    held = _VALIDATORS.get(id(rules))
    if held is not None and held[0] is rules:
        return held[1]
    validator: jsonschema.Draft202012Validator = _Validator(rules, registry=_NO_RETRIEVAL)  # no fetching
    if len(_VALIDATORS) < 256:  # the object is kept alive with it, so its id is never reused
        _VALIDATORS[id(rules)] = (rules, validator)
    return validator


def _describe_each(err: jsonschema.ValidationError, doc: Document | None, file: str) -> list[Problem]:
    """Return the problems of one schema error: one per unknown key (jsonschema reports them together)."""
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        rules = err.schema if isinstance(err.schema, dict) else {}
        allowed = set(rules.get("properties", {}))
        extra = sorted(k for k in err.instance if k not in allowed)
        if len(extra) > 1:
            message = "unknown key" + (f"; expected one of: {', '.join(sorted(allowed))}" if allowed else "")
            located = [(*err.absolute_path, key) for key in extra]
            return [
                Problem(
                    file=doc.file if doc else file,
                    line=doc.line(at) if doc else None,
                    path=key_path(at),
                    message=message,
                )
                for at in located
            ]
    return [_describe(err, doc, file)]


def _describe(err: jsonschema.ValidationError, doc: Document | None, file: str) -> Problem:
    path: Path = tuple(err.absolute_path)
    message = err.message
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        message = f"missing required key '{missing}'"
    elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
        rules = err.schema if isinstance(err.schema, dict) else {}
        allowed = set(rules.get("properties", {}))
        extra = sorted(k for k in err.instance if k not in allowed)
        if extra:
            path = (*path, extra[0])
            message = "unknown key" + (f"; expected one of: {', '.join(sorted(allowed))}" if allowed else "")
    elif err.validator == "type" and path and path[-1] == "version" and isinstance(err.instance, int | float):
        message = f"{err.instance} is not a semantic version (MAJOR.MINOR.PATCH); write it as a quoted string"
    elif err.validator == "type":
        message = f"expected {_type_name(err.validator_value)}, got {_type_name(_json_type(err.instance))}"
    elif err.validator == "enum":
        options = err.validator_value if isinstance(err.validator_value, list) else []
        message = f"must be one of: {', '.join(json.dumps(v) for v in options)}"
    elif err.validator == "const":
        message = f"must be {json.dumps(err.validator_value)}"
    elif err.validator == "pattern" and path and path[-1] == "version":
        message = f"'{err.instance}' is not a semantic version (MAJOR.MINOR.PATCH)"
    line = doc.line(path) if doc is not None else None
    return Problem(
        file=doc.file if doc is not None else file, line=line, path=key_path(path), message=message
    )


def _type_name(value: Any) -> str:
    if isinstance(value, list):
        return " or ".join(_type_name(v) for v in value)
    return {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true or false",
        "null": "null",
    }.get(str(value), str(value))


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"
