"""The admin order list's search language: `status:待发货 store:SH001 paid:>=2026-11-01 "张三"`.

A hand-written tokenizer and recursive-descent parser that build the same AST as the typed
`OrderFilter` (`models/orders/filters.py`), plus `format_query`, its inverse, so that a property
test can check that printing and parsing agree. Every problem — unknown field, bad value,
unbalanced parenthesis, dangling operator, unterminated quote — is a `QuerySyntaxError` naming
the 1-based column of the offending token; nothing else ever escapes `parse_query`. The fields are
listed in `models/orders/query_fields.py`; what follows `field:` is read by
`models/orders/query_values.py`.

Grammar (OR binds looser than AND; AND is implicit between terms; keywords are upper case):

    query   := or EOF
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*
    unary   := ("NOT" | "-") unary | "(" or ")" | term
    term    := field ":" value ("," value)* | word | "quoted text"

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from enum import Enum
from typing import Final

from models.orders import filters as f
from models.orders.query_fields import FIELD_BY_NAME, describe_fields, format_leaf
from models.orders.query_values import (
    COLONS,
    KEYWORDS,
    QUOTES,
    QuerySyntaxError,
    Segment,
    checked,
    fail,
    split_items,
    suggest,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_QUERY_LENGTH",
    "MAX_TERMS",
    "QuerySyntaxError",
    "describe_fields",
    "format_query",
    "parse_query",
]

MAX_QUERY_LENGTH: Final = 1000
MAX_DEPTH: Final = 20
"""Parentheses and negations nest at most this deep (keeps the recursion and the SQL bounded)."""
MAX_TERMS: Final = f.MAX_CONDITIONS
"""Terms (`field:value` or text) one query holds, counted while tokenizing, before any is parsed."""


# ---- tokens --------------------------------------------------------------------------------------


class _Kind(Enum):
    LPAREN = "("
    RPAREN = ")"
    NEG = "-"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    TERM = "term"
    END = "end of query"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    column: int
    segments: tuple[Segment, ...] = ()


def _tokenize(text: str) -> list[_Token]:
    """The tokens of `text`, in one pass: O(len(text)); the term past MAX_TERMS is refused."""
    tokens: list[_Token] = []
    terms = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(_Kind.LPAREN if ch == "(" else _Kind.RPAREN, i + 1))
            i += 1
        elif ch == "-":
            if i + 1 == n or text[i + 1].isspace() or text[i + 1] == ")":
                raise fail(i + 1, 'dangling "-"', ": a term must follow it")
            tokens.append(_Token(_Kind.NEG, i + 1))
            i += 1
        else:
            start, segments = i, []
            while i < n and not text[i].isspace() and text[i] not in "()":
                segment, i = _quoted(text, i) if text[i] in QUOTES else _bare(text, i)
                segments.append(segment)
            only = segments[0]
            if len(segments) == 1 and not only.quoted and only.text in KEYWORDS:
                tokens.append(_Token(_Kind[only.text], start + 1))
            else:
                terms += 1
                if terms > MAX_TERMS:
                    raise fail(start + 1, f"query has more than {MAX_TERMS} terms")
                tokens.append(_Token(_Kind.TERM, start + 1, tuple(segments)))
    tokens.append(_Token(_Kind.END, n + 1))
    return tokens


def _bare(text: str, i: int) -> tuple[Segment, int]:
    start = i
    while i < len(text) and not text[i].isspace() and text[i] not in '()"“':
        _check_char(text, i)
        i += 1
    return Segment(text[start:i], False, start + 1), i


def _quoted(text: str, i: int) -> tuple[Segment, int]:
    """A quoted string (straight or Chinese quotes); backslash escapes the closing quote and itself."""
    start, closing, out = i, QUOTES[text[i]], list[str]()
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == closing:
            return Segment("".join(out), True, start + 1), i + 1
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in (closing, "\\"):
            out.append(text[i + 1])
            i += 2
            continue
        _check_char(text, i)
        out.append(ch)
        i += 1
    raise fail(start + 1, "unterminated quote")


def _check_char(text: str, i: int) -> None:
    code = ord(text[i])
    if (code < 32 and not text[i].isspace()) or code == 127 or 0xD800 <= code <= 0xDFFF:
        raise fail(i + 1, f"unexpected control character U+{code:04X}")


# ---- parser --------------------------------------------------------------------------------------


def parse_query(text: str | None, zone: tzinfo) -> f.Node | None:
    """The AST of a query string, or None when it is blank (no condition).

    `zone` is the business time zone: `created:2026-11-02` is that whole day there.
    """
    if text is None:
        return None
    if len(text) > MAX_QUERY_LENGTH:
        raise fail(MAX_QUERY_LENGTH + 1, f"query is longer than {MAX_QUERY_LENGTH} characters")
    tokens = _tokenize(text)
    if tokens[0].kind is _Kind.END:
        return None
    return _Parser(tokens, zone).parse()


_STARTS_UNARY: Final = frozenset({_Kind.TERM, _Kind.LPAREN, _Kind.NEG, _Kind.NOT})


class _Parser:
    def __init__(self, tokens: list[_Token], zone: tzinfo) -> None:
        self.tokens = tokens
        self.pos = 0
        self.zone = zone
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def parse(self) -> f.Node:
        node = self.or_()
        left = self.peek()
        if left.kind is not _Kind.END:  # `or_` stops only at the end or at a ")" nobody opened
            raise fail(left.column, 'unexpected ")"', ' (no matching "(")')
        return node

    def or_(self) -> f.Node:
        children = [self.and_()]
        while self.peek().kind is _Kind.OR:
            self.operand_after(self.take())
            children.append(self.and_())
        return f.any_of(*children)

    def and_(self) -> f.Node:
        children = [self.unary()]
        while True:
            kind = self.peek().kind
            if kind is _Kind.AND:
                self.operand_after(self.take())
            elif kind not in _STARTS_UNARY:
                return f.all_of(*children)
            children.append(self.unary())

    def operand_after(self, operator: _Token) -> None:
        if self.peek().kind not in _STARTS_UNARY:
            raise fail(operator.column, f'dangling "{operator.kind.value}"', ": a term must follow it")

    def unary(self) -> f.Node:
        token = self.take()
        if token.kind in (_Kind.NOT, _Kind.NEG):
            self.operand_after(token)
            return f.negate(self.nested(token, self.unary))
        if token.kind is _Kind.LPAREN:
            if self.peek().kind is _Kind.RPAREN:
                raise fail(token.column, "empty parentheses")
            if self.peek().kind is _Kind.END:
                raise fail(token.column, 'unbalanced parenthesis "("', ": it is never closed")
            node = self.nested(token, self.or_)
            if self.take().kind is not _Kind.RPAREN:
                raise fail(token.column, 'unbalanced parenthesis "("', ": it is never closed")
            return node
        if token.kind is _Kind.TERM:
            return self.term(token)
        if token.kind is _Kind.RPAREN:
            raise fail(token.column, 'unexpected ")"', ' (no matching "(")')
        raise fail(token.column, f'unexpected "{token.kind.value}"', ": a term must come before it")

    def nested(self, token: _Token, parse: Callable[[], f.Node]) -> f.Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise fail(token.column, f"query nests deeper than {MAX_DEPTH} levels")
        node = parse()
        self.depth -= 1
        return node

    def term(self, token: _Token) -> f.Node:
        first = token.segments[0]
        colon = None if first.quoted else next((k for k, ch in enumerate(first.text) if ch in COLONS), None)
        if colon is None:
            text = "".join(s.text for s in token.segments)
            return checked(token.column, lambda: f.text_match(f.TextField.ANY, text))
        name = first.text[:colon]
        if not name:
            raise fail(token.column, 'missing field name before ":"')
        spec = FIELD_BY_NAME.get(name.lower())
        if spec is None:
            raise fail(token.column, f'unknown field "{name}"', suggest(name.lower(), list(FIELD_BY_NAME)))
        start = first.column + colon + 1
        rest = first.text[colon + 1 :]
        values = [Segment(rest, False, start)] if rest else []
        return spec.parse(
            name.lower(), split_items(name.lower(), [*values, *token.segments[1:]], start), self.zone
        )


# ---- printer -------------------------------------------------------------------------------------


def format_query(node: f.Node) -> str:
    """The query string of an AST: `parse_query(format_query(n)) == n` for every node the
    constructors of `models.orders.filters` build (a property test holds us to it)."""
    if isinstance(node, f.AllOf):
        return " ".join(
            f"({format_query(c)})" if isinstance(c, f.AnyOf) else format_query(c) for c in node.children
        )
    if isinstance(node, f.AnyOf):
        return " OR ".join(format_query(c) for c in node.children)
    if isinstance(node, f.Not):
        inner = node.child
        if isinstance(inner, f.AllOf | f.AnyOf | f.Not):
            return f"NOT ({format_query(inner)})"
        return f"-{format_leaf(inner)}"
    return format_leaf(node)
