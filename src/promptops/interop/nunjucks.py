"""Nunjucks templates (promptfoo's) as Jinja2 templates (promptops's): translated exactly, or refused.

Plain `{{ var }}` passes unchanged. Constructs that Jinja2 renders differently are rewritten where the
rewrite is exact (`null` → `none`, `===` → `==`, `elseif` → `elif`, `for k, v in obj` →
`obj.items()`) and refused otherwise (`True`/`False`/`None`, which Nunjucks reads as undefined
variables; `dump`, whose JSON spacing differs from any Jinja2 filter; regex literals; filters Jinja2
has not). Lenient undefined variables and JavaScript's text for values are handled on the data side
(see `interop.promptfoo`), since they depend on the variables, not on the template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r"(\{\{-?)(.*?)(-?\}\})|(\{%-?)(.*?)(-?%\})|\{#.*?#\}", re.DOTALL)
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_WORD = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\b")
_FILTER = re.compile(r"\|\s*([A-Za-z_]\w*)")
_FOR_PAIR = re.compile(r"^(\s*for\s+\w+\s*,\s*\w+\s+in\s+)([A-Za-z_][\w.]*)(\s*)$")
_PLAIN = re.compile(r"^\s*[A-Za-z_]\w*\s*$")
# filters that Nunjucks and Jinja2 both have and that render the same text for strings and numbers
SAME_FILTERS = frozenset(
    [
        "abs",
        "batch",
        "capitalize",
        "center",
        "default",
        "d",
        "escape",
        "e",
        "first",
        "float",
        "forceescape",
        "groupby",
        "indent",
        "int",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "random",
        "reject",
        "rejectattr",
        "replace",
        "reverse",
        "round",
        "safe",
        "select",
        "selectattr",
        "slice",
        "sort",
        "string",
        "striptags",
        "sum",
        "title",
        "trim",
        "truncate",
        "upper",
        "urlencode",
        "urlize",
        "wordcount",
    ]
)


class Refused(Exception):
    """A construct with no exact Jinja2 translation; the message says why."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class Translation:
    text: str
    changes: tuple[str, ...]  # what was rewritten, for the import report
    plain: frozenset[str]  # variables rendered only as a plain `{{ name }}`
    in_tags: frozenset[str]  # names read inside `{% %}` tags or filtered expressions


def _expression(code: str, line: int, changes: list[str]) -> str:
    """Return the Jinja2 form of one Nunjucks expression (strings left untouched)."""
    out: list[str] = []
    last = 0
    for match in _STRING.finditer(code):
        out.append(_code(code[last : match.start()], line, changes))
        out.append(match.group(0))
        last = match.end()
    out.append(_code(code[last:], line, changes))
    return "".join(out)


def _code(code: str, line: int, changes: list[str]) -> str:
    if re.search(r"\br/", code):
        raise Refused(line, "Nunjucks regex literals (r/.../) have no Jinja2 form")
    for word in _WORD.findall(code):
        if word in ("True", "False", "None"):
            raise Refused(
                line,
                f"`{word}` is an undefined variable in Nunjucks but a constant in Jinja2; use lower case",
            )
    for name in _FILTER.findall(code):
        if name == "dump":
            raise Refused(
                line,
                "the `dump` filter writes JSON spaced as JSON.stringify does; no Jinja2 filter matches it",
            )
        if name not in SAME_FILTERS:
            raise Refused(line, f"the filter `{name}` has no exact Jinja2 equivalent")
    if "===" in code or "!==" in code:
        code = code.replace("===", "==").replace("!==", "!=")
        changes.append(f"line {line}: === and !== written as == and !=")
    if re.search(r"(?<![\w.])null\b", code):
        code = re.sub(r"(?<![\w.])null\b", "none", code)
        changes.append(f"line {line}: null written as none")
    return code


def translate(text: str, first_line: int = 1) -> Translation:
    """Return `text` as a Jinja2 template; raise Refused naming the line and the reason."""
    changes: list[str] = []
    plain: set[str] = set()
    in_tags: set[str] = set()
    out: list[str] = []
    last = 0
    for match in _TAG.finditer(text):
        line = first_line + text.count("\n", 0, match.start())
        out.append(text[last : match.start()])
        last = match.end()
        if match.group(1):
            body = match.group(2)
            if _PLAIN.match(body):
                plain.add(body.strip())
            else:
                in_tags.update(_WORD.findall(_STRING.sub("", body)))
            out.append(match.group(1) + _expression(body, line, changes) + match.group(3))
        elif match.group(4):
            body = match.group(5)
            in_tags.update(_WORD.findall(_STRING.sub("", body)))
            head = body.strip().split(" ", 1)[0]
            if head == "elseif":
                body = body.replace("elseif", "elif", 1)
                changes.append(f"line {line}: elseif written as elif")
            pair = _FOR_PAIR.match(body)
            if pair:
                body = f"{pair.group(1)}{pair.group(2)}.items(){pair.group(3)}"
                changes.append(f"line {line}: `for k, v in {pair.group(2)}` written with .items()")
            if head in (
                "macro",
                "call",
                "import",
                "from",
                "include",
                "extends",
                "block",
                "asyncEach",
                "asyncAll",
            ):
                raise Refused(
                    line, f"the `{head}` tag is not carried (prompts are single self-contained templates)"
                )
            out.append(match.group(4) + _expression(body, line, changes) + match.group(6))
        else:
            out.append(match.group(0))
    out.append(text[last:])
    return Translation(
        text="".join(out),
        changes=tuple(changes),
        plain=frozenset(plain - in_tags),
        in_tags=frozenset(in_tags),
    )


_KEYWORDS = frozenset(
    [
        "and",
        "or",
        "not",
        "in",
        "is",
        "if",
        "else",
        "elif",
        "endif",
        "for",
        "endfor",
        "set",
        "endset",
        "true",
        "false",
        "none",
        "null",
        "loop",
        "range",
    ]
)
_IDENT = re.compile(r"(\|\s*|\bis\s+|\.\s*)?\b([A-Za-z_]\w*)\b")


def scoped(text: str, prefix: str = "vars.") -> str:
    """Return a template whose variables are read under `prefix` (an assertion's `{{ expected }}`
    names a test var in promptfoo; in a promptops scorer the case's vars live under `vars.`)."""

    def code(part: str) -> str:
        def one(match: re.Match[str]) -> str:
            lead, name = match.group(1), match.group(2)
            if lead or name in _KEYWORDS:
                return match.group(0)
            return f"{prefix}{name}"

        pieces, last = [], 0
        for string in _STRING.finditer(part):
            pieces.append(_IDENT.sub(one, part[last : string.start()]))
            pieces.append(string.group(0))
            last = string.end()
        pieces.append(_IDENT.sub(one, part[last:]))
        return "".join(pieces)

    def tag(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1) + code(match.group(2)) + match.group(3)
        if match.group(4):
            return match.group(4) + code(match.group(5)) + match.group(6)
        return match.group(0)

    return _TAG.sub(tag, text)
