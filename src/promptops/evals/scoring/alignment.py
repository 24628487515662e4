"""Optimal alignment of an expected tool path with the tools a case run called (never greedy).

Three orders, each the largest matching under its constraint:
- `exact`: matched pairs keep one offset (j - i); with extras forbidden it is 0 (position by position);
- `in_order`: matched pairs increase in both sequences (a longest common subsequence, by dynamic programming);
- `any_order`: any one-to-one pairing (a maximum bipartite matching, by augmenting paths).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

Order = Literal["exact", "in_order", "any_order"]
E = TypeVar("E")
A = TypeVar("A")


@dataclass(frozen=True, kw_only=True)
class Alignment:
    pairs: tuple[tuple[int, int], ...]  # (expected index, actual index), increasing in expected index
    expected: int  # length of the expected path
    actual: int  # number of actual tool steps

    @property
    def matched(self) -> int:
        return len(self.pairs)

    def share(self, *, extra_allowed: bool) -> float:
        """Return matched / max(len expected, len actual); allowed extras are not counted as actual steps."""
        actual = self.matched if extra_allowed else self.actual
        denominator = max(self.expected, actual)
        return 1.0 if denominator == 0 else self.matched / denominator


def align(
    expected: Sequence[E],
    actual: Sequence[A],
    same: Callable[[E, A], bool],
    *,
    order: Order,
    extra_allowed: bool,
) -> Alignment:
    """Return the largest matching of `expected` onto `actual` that `order` permits."""
    ok = [[same(e, a) for a in actual] for e in expected]
    if order == "any_order":
        pairs = _bipartite(ok, len(actual))
    elif order == "in_order":
        pairs = _subsequence(ok, len(expected), len(actual))
    else:
        pairs = _offset(ok, len(expected), len(actual), extra_allowed=extra_allowed)
    return Alignment(pairs=tuple(sorted(pairs)), expected=len(expected), actual=len(actual))


def _offset(ok: list[list[bool]], n: int, m: int, *, extra_allowed: bool) -> list[tuple[int, int]]:
    offsets = range(-(n - 1), m) if extra_allowed and n else [0]
    best: list[tuple[int, int]] = []
    for k in offsets:
        pairs = [(i, i + k) for i in range(n) if 0 <= i + k < m and ok[i][i + k]]
        if len(pairs) > len(best):
            best = pairs
    return best


def _subsequence(ok: list[list[bool]], n: int, m: int) -> list[tuple[int, int]]:
    # length[i][j]: the longest in-order matching of expected[i:] onto actual[j:]
    length = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = length[i + 1][j + 1] + 1 if ok[i][j] else 0
            length[i][j] = max(take, length[i + 1][j], length[i][j + 1])
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if ok[i][j] and length[i][j] == length[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif length[i + 1][j] >= length[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _bipartite(ok: list[list[bool]], m: int) -> list[tuple[int, int]]:
    owner: list[int | None] = [None] * m  # actual index -> expected index matched to it

    def augment(i: int, seen: set[int]) -> bool:
        for j in range(m):
            if ok[i][j] and j not in seen:
                seen.add(j)
                held = owner[j]
                if held is None or augment(held, seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(ok)):
        augment(i, set())
    return [(i, j) for j, i in enumerate(owner) if i is not None]
