"""Safe YAML text -> Document (plain data plus the line of every key path), and YAML text out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader
from yaml.resolver import Resolver

from promptops.errors import FileFormatError, Problem

try:
    from yaml import cyaml as _cyaml
except ImportError:  # PyYAML built without libyaml: the Python loader does everything
    _cyaml = None  # type: ignore[assignment]
CParser: Any = getattr(_cyaml, "CParser", None)

MAX_YAML_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_NODES = 50_000

Path = tuple[str | int, ...]


@dataclass(frozen=True, kw_only=True)
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
            [Problem(file=file, line=line, path="", message=f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})")]
        ) from None


def parse_yaml(text: str, file: str, *, limit: int = MAX_YAML_BYTES) -> Document:
    """Parse one YAML document safely, keeping line numbers; raise FileFormatError.

    `limit` bounds the text (a file promptops writes may be larger than a hand-written one)."""
    if len(text) > limit:
        raise FileFormatError(
            [Problem(file=file, line=None, path="", message=f"file is larger than {limit} bytes")]
        )
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
        raise FileFormatError([Problem(file=file, line=line, path="", message=_yaml_problem(exc))]) from None
    except yaml.reader.ReaderError as exc:
        raise FileFormatError([_reader_problem(exc, text, file)]) from None
    except yaml.YAMLError as exc:
        raise FileFormatError(
            [Problem(file=file, line=None, path="", message=f"invalid YAML: {exc}")]
        ) from None
    finally:
        loader.dispose()
    return _document(node, loader, file)


def _document(node: Node | None, loader: Any, file: str) -> Document:
    if node is None:
        return Document(file=file, data=None, lines={(): 1})
    converter = _Converter(loader, file)
    data = converter.convert(node, ())
    return Document(file=file, data=data, lines=converter.lines, value_lines=converter.value_lines)


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    line = text[: exc.position].count("\n") + 1
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return Problem(
        file=file, line=line, path="", message=f"control character U+{ord(char):04X} is not allowed in YAML"
    )


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
        return FileFormatError(
            [Problem(file=self.file, line=node.start_mark.line + 1, path=key_path(path), message=what)]
        )

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


def dump_yaml(value: Any) -> str:
    """Return block-style YAML keeping key order (for files promptops rewrites)."""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
