"""Text <-> model: safe YAML with line numbers, JSON Schema validation (deterministic JSON: jsontext)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import jsonschema
import regex
import yaml
from referencing import Registry
from referencing.exceptions import Unresolvable
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader
from yaml.resolver import Resolver

from promptops.errors import FileFormatError, InputError, Problem
from promptops.jsontext import FLOAT_DIGITS, content_hash, dump_json, normalize

# re-exported: callers keep importing the deterministic JSON helpers from here
__all__ = ["FLOAT_DIGITS", "content_hash", "dump_json", "normalize"]

REGEX_SECONDS = 0.5  # longest one regular expression may run on text a model wrote

try:
    from yaml import cyaml as _cyaml
except ImportError:  # PyYAML built without libyaml: the Python loader does everything
    _cyaml = None  # type: ignore[assignment]
CParser: Any = getattr(_cyaml, "CParser", None)

MAX_YAML_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_NODES = 50_000

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """Parsed YAML data plus the line (1-based) where every key path starts."""

    file: str
    data: Any
    lines: Mapping[Path, int]
    # line where a scalar's text starts (the line after `key: |` for block scalars)
    value_lines: Mapping[Path, int] = field(default_factory=dict)

    def line(self, path: Iterable[str | int]) -> int | None:
        """Return the line of `path`, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)


def key_path(path: Iterable[str | int]) -> str:
    """Return a path such as `messages[0].content`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Limits(Composer):
    """The composer's checks: no aliases, bounded depth and size (both loaders below share them)."""

    depth = 0
    nodes = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        events: Any = self  # the parser half of the loader
        event = events.peek_event()
        if events.check_event(AliasEvent):
            # aliases are refused outright: they are how YAML "billion laughs" bombs expand
            raise yaml.MarkedYAMLError(None, None, "YAML aliases (*name) are not allowed", event.start_mark)
        if self.depth >= MAX_DEPTH:
            # the composer recurses per level; stop long before Python's recursion limit
            raise yaml.MarkedYAMLError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            # PyYAML is pure Python here: a megabyte of tiny values would take tens of seconds
            raise yaml.MarkedYAMLError(
                None, None, f"more than {MAX_NODES} values in one file", event.start_mark
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Loader(_Limits, yaml.SafeLoader):
    """The pure-Python loader: slow, but its error messages are the ones users see."""


class _FastLoader(_Limits, CParser or yaml.SafeLoader, SafeConstructor, Resolver):  # type: ignore[misc]
    """libyaml's scanner and parser (25x faster) under the same Python composer and checks."""

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if getattr(self.peek_event(), "tag", None) == "!":
            # libyaml resolves the non-specific tag of an empty value differently: let Python decide
            raise yaml.YAMLError("non-specific tag")
        return super().compose_node(parent, index)


def _compose(text: str) -> tuple[Node | None, Any] | None:
    """Return the node of `text` and its loader by libyaml, or None to let the Python loader decide."""
    if CParser is None or "\t" in text or Reader.NON_PRINTABLE.search(text):
        return None  # libyaml accepts tabs and control characters the Python loader refuses
    loader = _FastLoader(text)
    try:
        return loader.get_single_node(), loader
    except yaml.YAMLError:
        return None  # the Python loader words the problem (and line) as users have seen it
    finally:
        loader.dispose()


def decode(raw: bytes, file: str) -> str:
    """Return `raw` as text, or raise naming the line of the first non-UTF-8 byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileFormatError(
            [Problem(file, line, "", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})")]
        ) from None


def parse_yaml(text: str, file: str) -> Document:
    """Parse one YAML document safely, keeping line numbers; raise FileFormatError."""
    if len(text) > MAX_YAML_BYTES:
        raise FileFormatError([Problem(file, None, "", f"file is larger than {MAX_YAML_BYTES} bytes")])
    fast = _compose(text)
    if fast is not None:
        try:
            return _document(*fast, file)
        except FileFormatError:
            pass  # every problem is reported by the Python loader, in its words
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        raise FileFormatError([_reader_problem(exc, text, file)]) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise FileFormatError([Problem(file, line, "", _yaml_problem(exc))]) from None
    except yaml.reader.ReaderError as exc:
        raise FileFormatError([_reader_problem(exc, text, file)]) from None
    except yaml.YAMLError as exc:
        raise FileFormatError([Problem(file, None, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return _document(node, loader, file)


def _document(node: Node | None, loader: Any, file: str) -> Document:
    if node is None:
        return Document(file, None, {(): 1})
    converter = _Converter(loader, file)
    data = converter.convert(node, ())
    return Document(file, data, converter.lines, converter.value_lines)


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    line = text[: exc.position].count("\n") + 1
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return Problem(file, line, "", f"control character U+{ord(char):04X} is not allowed in YAML")


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    if "'\\t'" in problem or "\\t" in problem:
        return "tab characters are not allowed in YAML indentation; use spaces"
    if "aliases" in problem or problem.startswith(("nested more than", "more than")):
        return problem
    if "another document" in problem:
        return "expected a single YAML document, found a second one (---)"
    if "quoted scalar" in context and "end of stream" in problem:
        opened = exc.context_mark.line + 1 if exc.context_mark is not None else "?"
        return f"invalid YAML: quoted string opened on line {opened} is never closed"
    if context and context.startswith("while "):
        return f"invalid YAML: {problem} ({context})"
    return f"invalid YAML: {problem}"


_STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


class _Converter:
    """Turns composed YAML nodes into plain data, recording the line of every key path."""

    def __init__(self, loader: SafeConstructor, file: str) -> None:
        self.loader = loader
        self.file = file
        self.lines: dict[Path, int] = {}
        self.value_lines: dict[Path, int] = {}

    def fail(self, node: Node, path: Path, what: str) -> FileFormatError:
        return FileFormatError([Problem(self.file, node.start_mark.line + 1, key_path(path), what)])

    def convert(self, node: Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode | SequenceNode) and node.tag not in _COLLECTION_TAGS:
            # a tag on a collection (e.g. !!python/object/apply) would otherwise be silently dropped
            raise self.fail(
                node, path, f"unsupported YAML tag '{node.tag.replace('tag:yaml.org,2002:', '!!')}'"
            )
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, path, "keys must be plain scalars")
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, path, "merge keys (<<) are not allowed")
            key = str(key_node.value)
            child = (*path, key)
            if key in out:
                raise self.fail(key_node, child, f"duplicate key (first defined on line {self.lines[child]})")
            self.lines[child] = key_node.start_mark.line + 1
            out[key] = self.convert(value_node, child)
        return out

    def scalar(self, node: Node, path: Path) -> Any:
        if node.tag == _STR_TAG and isinstance(node, ScalarNode):  # most values: skip the constructor
            block = node.style in {"|", ">"}
            self.value_lines[path] = node.start_mark.line + 1 + int(block)
            return node.value
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            unknown = "constructor for the tag" in str(exc.problem)
            raise self.fail(
                node, path, f"unsupported YAML tag '{tag}'" if unknown else f"invalid value: {exc.problem}"
            ) from None
        except (yaml.YAMLError, ValueError) as exc:
            # ValueError: e.g. integers beyond Python's digit limit for str -> int conversion
            raise self.fail(
                node, path, "number is too long" if "digits" in str(exc) else f"invalid value: {exc}"
            ) from None
        block = isinstance(node, ScalarNode) and node.style in {"|", ">"}
        self.value_lines[path] = node.start_mark.line + 1 + int(block)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, path, "numbers must be finite")
        if not isinstance(value, str | int | float | bool | type(None)):
            # dates and binary values have no place in promptops files; keep their text
            return str(node.value)
        return value


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


def load_json(text: str, file: str, *, line: int | None = None, hint: str | None = None) -> Any:
    """Return the data of JSON `text`; raise FileFormatError for invalid JSON, NaN/Infinity,
    duplicate keys or nesting too deep, naming `file` and the line (`line` for one JSONL line)."""
    try:
        return json.loads(
            text, object_pairs_hook=_json_object, parse_constant=_json_constant, parse_float=_json_float
        )
    except json.JSONDecodeError as exc:
        where = exc.lineno if line is None else line
        column = f" (column {exc.colno})"
        problem = Problem(file, where, "", f"invalid JSON: {exc.msg}{column}")
    except _JSONValueError as exc:
        problem = Problem(file, line, "", f"invalid JSON: {exc}")
    except RecursionError:
        problem = Problem(file, line, "", "invalid JSON: nested too deeply")
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
        Problem(doc.file, doc.line(path), key_path(path), _foreign_message(value))
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
        problems.append(Problem(doc.file, doc.line(path), key_path(path), message))
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
    foreign = foreign_refs(rules)
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
                Problem(doc.file if doc else file, doc.line(at) if doc else None, key_path(at), message)
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
    return Problem(doc.file if doc is not None else file, line, key_path(path), message)


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


def dump_yaml(value: Any) -> str:
    """Return block-style YAML keeping key order (for files promptops rewrites)."""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
