"""The Jinja sandbox: no Python internals, and a budget that bounds what one render may build and do.

A pull request author writes the templates, so every render is bounded three ways: each value it builds
(strings, lists, numbers: MAX_VALUE, MAX_INT_DIGITS, checked before the work is done), everything it
builds together (MAX_BUILT), and its work (MAX_STEPS loop steps, calls and filters; MAX_SECONDS of CPU).
The output (MAX_OUTPUT) is counted as prompts.render streams it; all messages of a prompt share a budget.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum
from jinja2.visitor import NodeTransformer

MAX_REPEAT = 100_000  # largest repetition, width or padding a template may ask for
MAX_EXPONENT = 1_000
MAX_LOOP_ITEMS = 1_000_000  # items all `range()` calls of one render may produce together
MAX_LIPSUM = 1_000
MAX_PIECES = 10_000  # lines `wordwrap` may make, slices `slice` may cut
MAX_VALUE = 1_000_000  # largest string (characters) or list (items, counted deeply) one operation builds
MAX_BUILT = 8_000_000  # characters and items all operations of one render may build together
MAX_OUTPUT = 1_000_000  # characters one render (all messages of a prompt) may output
MAX_STEPS = 200_000  # loop steps, calls, attribute lookups and filter applications of one render
MAX_SECONDS = 1.0  # CPU time of one render (coverage tracing makes a legitimate 50,000-step loop take 0.5 s)
MAX_INT_DIGITS = 4_300  # Python's own limit for turning an int into text
_MAX_INT_BITS = MAX_INT_DIGITS * 10 // 3

# widths and precisions in %-format and str.format specs: `%999999d`, `{:>999999}`
_HUGE_SPEC = re.compile(r"%[-#0 +]*\d*\.?\d{6,}|\{[^{}]*:[^{}]*\d{6,}[^{}]*\}")
# widths taken from the arguments: `%*d`, `%.*f`, `{:{}}`
_DYNAMIC_SPEC = re.compile(r"%[-#0 +]*(?:\*|\d*\.\*)|\{[^{}]*:[^{}]*\{")
_PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})
# filters that never turn their input into text (their results are still measured)
_NON_TEXT_FILTERS = frozenset(
    "length count first last default d random attr map select reject selectattr rejectattr batch slice "  # noqa: SIM905
    "sort unique reverse list dictsort groupby items min max sum abs int float round bool".split()
)
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice"})


@dataclass
class Budget:
    """What is left of one render's allowance."""

    steps: int = MAX_STEPS
    range_items: int = MAX_LOOP_ITEMS
    built: int = MAX_BUILT
    output: int = MAX_OUTPUT
    deadline: float = field(default_factory=lambda: time.thread_time() + MAX_SECONDS)
    known: dict[int, tuple[Any, int]] = field(default_factory=dict)  # id -> (container, weight)

    def tick(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise SecurityError(f"more than {MAX_STEPS} loop steps, calls and filters in one render")
        if self.steps % 64 == 0 and time.thread_time() > self.deadline:
            raise SecurityError(f"rendering takes more than {MAX_SECONDS} s of CPU time")

    def emit(self, size: int) -> None:
        """Count `size` characters of rendered output."""
        self.output -= size
        if self.output < 0:
            raise SecurityError(f"the output would be longer than {MAX_OUTPUT} characters")
        self.tick()

    def build(self, size: int, *, charge: bool = True) -> None:
        """Refuse building a value of `size`; with `charge`, count it against the render's total."""
        if size > MAX_VALUE:
            raise SecurityError(f"would build a value of more than {MAX_VALUE} characters or items")
        self.built -= size if charge else 0
        if self.built < 0:
            raise SecurityError(f"builds more than {MAX_BUILT} characters and items in one render")


_budget: ContextVar[Budget | None] = ContextVar("render_budget", default=None)


@contextmanager
def budget() -> Iterator[Budget]:
    """Give the renders in this block one Budget (a fresh one, unless an outer block already gave one)."""
    outer = _budget.get()
    if outer is not None:
        yield outer
        return
    token = _budget.set(Budget())
    try:
        yield _current()
    finally:
        _budget.reset(token)


def _current() -> Budget:
    found = _budget.get()
    return Budget() if found is None else found  # outside `budget()` every operation is still capped


def weight(value: Any, limit: int = MAX_VALUE) -> int:
    """Return the characters and items in `value` counted deeply (shared parts each time), up to `limit`+.

    Large containers are remembered per render, so a loop that keeps extending one list stays linear.
    """
    known = _current().known
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
            continue
        if not isinstance(item, _HEAVY):
            total += item.bit_length() // 3 + 1 if isinstance(item, int) and not isinstance(item, bool) else 1
            continue
        cached = known.get(id(item))
        if cached is not None and cached[0] is item:
            total += cached[1]
            continue
        values = [*item.values(), *item] if isinstance(item, dict) else item
        total += len(values) + 1
        if total > limit:
            break
        if len(values) < 64:
            stack.extend(values)
            continue
        # comprehensions, not a Python-level step per element: a million-item list takes milliseconds
        total += sum([len(x) for x in values if type(x) is str])
        total += sum([x.bit_length() // 3 + 1 for x in values if type(x) is int])
        stack.extend([x for x in values if type(x) is not str and type(x) is not int])
    if isinstance(value, _HEAVY) and len(value) >= _REMEMBER and total <= limit:
        known[id(value)] = (value, total)
    return total


_REMEMBER = 256  # containers at least this long have their weight remembered
_HEAVY = (list, tuple, set, frozenset, dict)


def _checked(value: Any) -> Any:
    """Return `value` after charging what it holds; refuse numbers beyond MAX_INT_DIGITS."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _MAX_INT_BITS:
        raise SecurityError(f"numbers may have at most {MAX_INT_DIGITS} digits")
    if isinstance(value, str | list | tuple | Mapping | set | frozenset):
        _current().build(weight(value))
    return value


def _refuse_huge_spec(text: Any) -> None:
    if isinstance(text, str) and _HUGE_SPEC.search(text):
        raise SecurityError(f"format width or precision larger than {MAX_REPEAT}")


def _refuse_huge_ints(values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_REPEAT:
            raise SecurityError(f"width {value} is larger than {MAX_REPEAT}")


def _collect(items: Any) -> list[Any]:
    """Return `items` as a list, stepping through an iterator so a long one is refused early."""
    if isinstance(items, list | tuple):
        return list(items)
    out = []
    size = 0
    for item in items:
        _current().tick()
        size += weight(item)
        if size > MAX_VALUE:
            raise SecurityError(f"would build a value of more than {MAX_VALUE} characters or items")
        out.append(item)
    return out


def _placeholders(template: str, args: Iterable[Any]) -> int:
    """Return an upper bound of the size of `template` formatted with `args` (`%s`, `{0}`...)."""
    args = list(args)
    if _DYNAMIC_SPEC.search(template):
        _refuse_huge_ints([*args, *(v for a in args if isinstance(a, Mapping) for v in a.values())])
    biggest = max((weight(a) for a in args), default=0)
    return len(template) + (template.count("%") + template.count("{")) * biggest


def _estimate(name: str, text: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int | None:
    """Return an upper bound of the size of `text.name(*args)` for the methods that can multiply text."""
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        return len(text) + text.count(args[0]) * max(0, len(args[1]) - len(args[0]))
    if name == "join" and args:
        items = _collect(args[0])
        return sum(weight(i) for i in items) + len(text) * len(items)
    if name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        return len(text) + text.count("\t") * (size if isinstance(size, int) else 8)
    if name in {"format", "format_map"}:
        return _placeholders(text, [*args, *kwargs.values()])
    if name == "translate" and args and isinstance(args[0], Mapping):
        return len(text) * max([1, *(weight(v) for v in args[0].values())])
    return None


def _filter_estimate(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int | None:
    value = str(args[0]) if args and name in {"replace", "indent", "wordwrap", "format"} else ""
    if name == "join" and args:
        items = _collect(args[0])
        sep = args[1] if len(args) > 1 else kwargs.get("d", "")
        return sum(weight(i) for i in items) + len(str(sep)) * len(items)
    if name == "replace" and len(args) >= 3:
        return len(value) + value.count(str(args[1])) * max(0, len(str(args[2])) - len(str(args[1])))
    if name == "indent":
        width = args[1] if len(args) > 1 else kwargs.get("width", 4)
        per_line = len(width) if isinstance(width, str) else int(width)
        return len(value) + (value.count("\n") + 1) * per_line
    if name == "wordwrap":
        width = max(1, int(args[1] if len(args) > 1 else kwargs.get("width", 79)))
        if len(value) // width > MAX_PIECES:  # textwrap is pure Python: seconds for 100,000 lines
            raise SecurityError(f"wordwrap would make more than {MAX_PIECES} lines")
        wrap = args[3] if len(args) > 3 else kwargs.get("wrapstring") or "\n"
        return len(value) + (len(value) // width + value.count("\n") + 1) * len(str(wrap))
    if name == "slice" and len(args) > 1 and isinstance(args[1], int) and args[1] > MAX_PIECES:
        raise SecurityError(f"slice would cut more than {MAX_PIECES} pieces")
    if name == "format":
        _refuse_huge_spec(value)
        return _placeholders(value, [*args[1:], *kwargs.values()])
    return None


def _bounded_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap filter `fn`: one step, widths and estimated results checked first, the result charged."""
    skip = 1 if getattr(fn, "jinja_pass_arg", None) is not None else 0  # the context/environment argument

    @functools.wraps(fn)  # keeps jinja's pass_context/pass_environment marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget_ = _current()
        budget_.tick()
        values = args[skip:]
        if name not in _NON_TEXT_FILTERS:  # e.g. a list literal holding one long text many times: `|string`
            for value in values:
                if not isinstance(value, str):
                    budget_.build(weight(value), charge=False)
        if name in _WIDTH_FILTERS:
            _refuse_huge_ints([*values[1:], *kwargs.values()])
        estimate = _filter_estimate(name, values, kwargs)
        if estimate is not None:
            budget_.build(estimate, charge=False)
        return _checked(fn(*args, **kwargs))

    return bounded


def _budgeted_range(*args: int) -> range:
    items = range(*args)
    budget_ = _current()
    budget_.range_items -= len(items)
    if budget_.range_items < 0:
        raise SecurityError(f"loops over more than {MAX_LOOP_ITEMS} items in one render")
    return items


def _small_lipsum(n: int = 5, html: bool = False, min: int = 20, max: int = 100) -> str:
    if n > MAX_LIPSUM or max > MAX_LIPSUM:
        raise SecurityError(f"lipsum is limited to {MAX_LIPSUM} paragraphs and words")
    if n * max > MAX_LIPSUM * 10:
        raise SecurityError(f"lipsum is limited to {MAX_LIPSUM * 10} words")
    return str(generate_lorem_ipsum(n=n, html=html, min=min, max=max))


class _Steps:
    """A loop's iterable that takes one step of the budget per item (and keeps its length)."""

    def __init__(self, items: Any) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        budget_ = _current()
        for item in self.items:
            budget_.tick()
            yield item


class _Metered(NodeTransformer):
    """Routes every `{% for %}` iterable and every `~` through the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(nodes.EnvironmentAttribute("steps"), [node.iter], [], None, None)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(nodes.EnvironmentAttribute("joined"), list(node.nodes), [], None, None)


class Sandbox(ImmutableSandboxedEnvironment):
    """The Jinja sandbox, plus the budget that keeps a template from exhausting memory or time."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_checked_output, **options)
        self.globals["range"] = _budgeted_range
        self.globals["lipsum"] = _small_lipsum
        self.filters = {name: _bounded_filter(name, fn) for name, fn in self.filters.items()}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        metered: nodes.Template = _Metered().visit(tree)
        return metered

    @staticmethod
    def steps(items: Any) -> _Steps:
        return _Steps(items)

    @staticmethod
    def joined(*values: Any) -> str:
        """`a ~ b`: the sizes are checked before the text is built (and charged by `call`)."""
        _current().build(sum(weight(v) for v in values), charge=False)
        return "".join(str(v) for v in values)

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        """Join a block's output (`{% set %}`, macros, filter blocks) after checking its size."""
        collected = list(parts)
        _current().build(sum(len(p) for p in collected))
        return "".join(collected)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        size = self._binop_size(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        if size is None:
            return _checked(result)
        budget_ = _current()
        budget_.build(size)
        if isinstance(result, list | tuple) and len(result) >= _REMEMBER:
            budget_.known[id(result)] = (result, size)
        return result

    @staticmethod
    def _binop_size(operator: str, left: Any, right: Any) -> int | None:
        """Return the size of the result (checked before it is built), or None to measure it after."""
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    if len(seq) * times > MAX_REPEAT:
                        raise SecurityError(f"repetition would build more than {MAX_REPEAT} items")
                    size = weight(seq) * max(times, 0)
                    _current().build(size, charge=False)
                    return size
            if isinstance(left, int) and isinstance(right, int):
                _int_bits(left.bit_length() + right.bit_length())
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent larger than {MAX_EXPONENT}")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            _int_bits(left.bit_length() * right)
        if operator == "%" and isinstance(left, str):
            _refuse_huge_spec(left)
            args = right if isinstance(right, tuple) else (right,)
            _current().build(_placeholders(left, args), charge=False)
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            size = weight(left) + weight(right)
            _current().build(size, charge=False)
            return size
        return None

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget_ = _current()
        budget_.tick()
        target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        owner = getattr(target, "__self__", None)
        name = getattr(target, "__name__", "")
        if isinstance(owner, str):
            if name in _PADDING_METHODS or name == "expandtabs":
                _refuse_huge_ints([*args, *kwargs.values()])
            if name in {"format", "format_map"}:
                _refuse_huge_spec(owner)
            if name == "join" and args:
                args = (_collect(args[0]), *args[1:])
            estimate = _estimate(name, owner, args, kwargs)
            if estimate is not None:
                budget_.build(estimate, charge=False)
        return _checked(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        _current().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _current().tick()
        return super().getitem(obj, argument)


def _int_bits(bits: int) -> None:
    if bits > _MAX_INT_BITS + 1:
        raise SecurityError(f"numbers may have at most {MAX_INT_DIGITS} digits")


def _checked_output(value: Any) -> Any:
    """Every `{{ expression }}`: refuse a value whose text would be too large before it is made."""
    if not isinstance(value, str) and weight(value) > MAX_VALUE:
        raise SecurityError(f"would build a value of more than {MAX_VALUE} characters or items")
    return value
