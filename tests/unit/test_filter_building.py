"""The filter AST is built in linear work, and both front ends stop counting at the bound.

Work is counted, not timed: the hashes and comparisons `all_of` / `any_of` make on their children,
and the tokens the query parser takes, for inputs growing eightfold.
"""

from __future__ import annotations

import itertools
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from models.orders import filters as f
from models.orders.query_language import MAX_DEPTH, MAX_QUERY_LENGTH, MAX_TERMS, QuerySyntaxError, parse_query

ZONE = ZoneInfo("Asia/Shanghai")


class CountedLeaf:
    """A leaf that counts every hash and comparison made on it (what dedup costs)."""

    work = 0

    def __init__(self, n: int) -> None:
        self.n = n

    def __hash__(self) -> int:
        CountedLeaf.work += 1
        return hash(self.n)

    def __eq__(self, other: object) -> bool:
        CountedLeaf.work += 1
        return isinstance(other, CountedLeaf) and other.n == self.n


def _work_of_combining(n: int) -> int:
    CountedLeaf.work = 0
    leaves = [cast(f.Node, CountedLeaf(i % (n // 2))) for i in range(n)]  # half of them duplicates
    nested = f.any_of(*leaves[: n // 2], f.any_of(*leaves[n // 2 :]))
    assert isinstance(nested, f.AnyOf)
    assert len(nested.children) == n // 2
    return CountedLeaf.work


def test_combining_is_linear_in_the_children() -> None:
    sizes = (1_000, 2_000, 4_000, 8_000)
    work = [_work_of_combining(n) for n in sizes]
    for smaller, larger in itertools.pairwise(work):
        assert larger <= 2.2 * smaller, work  # twice the input, about twice the work
    assert work[-1] <= 4 * sizes[-1], work  # a few operations per child, not n per child


def test_combining_keeps_the_first_of_each_duplicate_in_order() -> None:
    a, b, c = (f.text_match(f.TextField.ANY, t) for t in "abc")
    assert f.all_of(a, b, f.all_of(a, c), b) == f.AllOf((a, b, c))
    assert f.any_of(a, a) == a


def _parse_work(text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    from models.orders import query_language as q

    taken = 0
    take = q._Parser.take

    def counted(self: Any) -> Any:
        nonlocal taken
        taken += 1
        return take(self)

    monkeypatch.setattr(q._Parser, "take", counted)
    parse_query(text, ZONE)
    monkeypatch.setattr(q._Parser, "take", take)
    return taken


def test_parsing_is_linear_in_the_terms(monkeypatch: pytest.MonkeyPatch) -> None:
    work = [_parse_work(" OR ".join(f"a{i}" for i in range(n)), monkeypatch) for n in (10, 20, 40, 80)]
    assert work == [2 * n - 1 for n in (10, 20, 40, 80)]  # one take per term and per OR


@pytest.mark.parametrize(
    ("text", "column"),
    [
        (" ".join(["a"] * (MAX_TERMS + 1)), 2 * MAX_TERMS + 1),
        (" OR ".join(["a"] * (MAX_TERMS + 1)), 5 * MAX_TERMS + 1),
        ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), MAX_DEPTH + 1),
        ("(" * 490 + "a" + ")" * 490, MAX_DEPTH + 1),
        ("NOT " * 240 + "a", 4 * MAX_DEPTH + 1),
        ("a OR " * 250_000 + "a", MAX_QUERY_LENGTH + 1),
    ],
)
def test_a_query_past_its_bounds_is_a_syntax_error_with_a_column(text: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as refused:
        parse_query(text, ZONE)
    assert refused.value.column == column


def test_a_query_at_its_bounds_parses() -> None:
    node = parse_query(" ".join(f"a{i}" for i in range(MAX_TERMS)), ZONE)
    assert isinstance(node, f.AllOf)
    assert len(node.children) == MAX_TERMS
