"""Properties of the order search language that keep the parser and printer honest.

Hypothesis checks that no input, however random, raises anything but the coded syntax error, and
that printing any AST and parsing it back gives the same AST. The per-field cases live in
test_order_query_language.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models.errors import DomainError, ErrorCode
from models.orders import filters as f
from models.orders.query_language import QuerySyntaxError, format_query, parse_query

ZONE = ZoneInfo("Asia/Shanghai")


def parse(text: str) -> f.Node | None:
    return parse_query(text, ZONE)


GRAMMAR_BITS = [
    *'()"“”-:：,，*.<>= \\',
    *("AND", "OR", "NOT", " OR ", "status:", "store:", "created:", "total:", "paid:", "phone:", "no:"),
    *("campaign:", "2026-11-01", "T08:00Z", "..", ">=", "100.5", "待发货", "SHIPPED", "张三", "x", "\x00"),
]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(GRAMMAR_BITS), max_size=25).map("".join)))
def test_random_input_only_ever_raises_the_coded_syntax_error(query: str) -> None:
    try:
        node = parse(query)
    except DomainError as exc:  # anything else fails the test by escaping
        error: DomainError | None = exc
    else:
        error = None
        assert node is None or parse(format_query(node)) == node
    if error is not None:
        assert isinstance(error, QuerySyntaxError)
        assert error.code is ErrorCode.INVALID_QUERY_SYNTAX
        assert 1 <= error.extensions["column"] <= len(query) + 1


TEXTS = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
    lambda s: s.strip() != ""
)
INSTANTS = st.datetimes(datetime(1971, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))


def _leaves() -> st.SearchStrategy[f.Node]:
    def enum_leaf(field: f.EnumField) -> st.SearchStrategy[f.Node]:
        members = list(f.ENUM_TYPES[field])
        return st.sets(st.sampled_from(members), min_size=1).map(lambda v: f.enum_in(field, v))

    def time_leaf(field: f.TimeField, a: datetime | None, b: datetime | None) -> f.Node:
        assume(a is not None or b is not None)
        assume(a is None or b is None or a < b)
        return f.time_in(field, a, b, ZONE)

    def amount_leaf(a: int | None, b: int | None) -> f.Node:
        assume(a is not None or b is not None)
        assume(a is None or b is None or a <= b)
        return f.amount_in(a, b)

    cents = st.none() | st.integers(0, f.MAX_AMOUNT_CENTS)
    text_fields = [t for t in f.TextField if t not in f.PHONE_FIELDS]
    return st.one_of(
        st.sampled_from(list(f.EnumField)).flatmap(enum_leaf),
        st.builds(
            f.id_in,
            st.sampled_from(list(f.IdField)),
            st.sets(st.integers(1, f.MAX_ID), min_size=1, max_size=3),
        ),
        st.builds(f.name_in, st.sampled_from(list(f.NameField)), st.sets(TEXTS, min_size=1, max_size=3)),
        st.builds(f.text_match, st.sampled_from(text_fields), TEXTS),
        st.builds(
            f.text_match,
            st.sampled_from(sorted(f.PHONE_FIELDS)),
            st.from_regex(r"[0-9]{4}|1[0-9]{10}", fullmatch=True),
        ),
        st.builds(f.flag_is, st.sampled_from(list(f.FlagField)), st.booleans()),
        st.builds(time_leaf, st.sampled_from(list(f.TimeField)), st.none() | INSTANTS, st.none() | INSTANTS),
        st.builds(amount_leaf, cents, cents),
    )


def _trees() -> st.SearchStrategy[f.Node]:
    return st.recursive(
        _leaves(),
        lambda kids: st.one_of(
            st.lists(kids, min_size=2, max_size=3).map(lambda xs: f.all_of(*xs)),
            st.lists(kids, min_size=2, max_size=3).map(lambda xs: f.any_of(*xs)),
            kids.map(f.negate),
        ),
        max_leaves=8,
    )


@settings(max_examples=300, deadline=None)
@given(_trees())
def test_printing_then_parsing_gives_the_same_ast(node: f.Node) -> None:
    printed = format_query(node)
    assume(len(printed) <= 1000)
    assert parse(printed) == node, printed
