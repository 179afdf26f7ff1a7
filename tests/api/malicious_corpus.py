"""A generated corpus of abusive GraphQL requests, each with the code it must be refused with.

Every family an attacker (or a buggy client) reaches for: deep nesting (directly, through
fragments, through introspection), alias floods, fragment cycles, huge page sizes (literal and in
variables), cost bombs of nested connections, introspection by callers who may not, oversized
strings and bodies, token floods, batches, and plain garbage. The documents are otherwise valid
against the schema, so each is refused by the limit it targets, not by accident.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from models.enums import Role

CONNECTIONS_PUBLIC = ("stores", "products", "reviews")
CONNECTIONS_BACK_OFFICE = ("orders", "customers", "afterSales", "campaigns", "storeSkus")


@dataclass(frozen=True)
class Attack:
    family: str
    code: str
    body: Any
    """The JSON body (a dict, or a list for batches), or raw bytes."""
    role: Role | None = None
    status: int = 200
    variables: dict[str, Any] = field(default_factory=dict)


def _query(text: str, **variables: Any) -> dict[str, Any]:
    return {"query": text, "variables": variables}


def deep_nesting() -> list[Attack]:
    attacks = []
    for depth in range(16, 76):  # categories → parent → parent … (each level one field deeper)
        inner = "name"
        for _ in range(depth - 1):
            inner = f"parent {{ {inner} }}"
        attacks.append(
            Attack("deep nesting", "MAX_DEPTH_EXCEEDED", _query(f"{{ categories {{ {inner} }} }}"))
        )
    for depth in range(16, 46):  # the same depth hidden in a chain of fragments
        fragments = [f"fragment F{i} on Category {{ parent {{ ...F{i + 1} }} }}" for i in range(depth)]
        fragments.append(f"fragment F{depth} on Category {{ name }}")
        text = "{ categories { ...F0 } } " + " ".join(fragments)
        attacks.append(Attack("deep nesting via fragments", "MAX_DEPTH_EXCEEDED", _query(text)))
    for depth in range(8, 28):  # customers ↔ orders, as a back-office caller
        inner = "orderNo"
        for _ in range(depth):
            inner = f"customer {{ orders(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"
        text = f"{{ orders(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"
        attacks.append(Attack("deep nesting", "MAX_DEPTH_EXCEEDED", _query(text), role=Role.HQ_ADMIN))
    return attacks


def alias_floods() -> list[Attack]:
    attacks = []
    for n in range(31, 231, 4):
        text = "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(n)) + " }"
        attacks.append(Attack("alias flood", "MAX_ALIASES_EXCEEDED", _query(text)))
    for n in range(31, 331, 10):
        text = "{ viewer { " + " ".join(f"r{i}: role" for i in range(n)) + " } }"
        attacks.append(Attack("alias flood", "MAX_ALIASES_EXCEEDED", _query(text)))
    return attacks


def fragment_cycles() -> list[Attack]:
    attacks = []
    for length in range(1, 51):
        names = [f"C{i}" for i in range(length)]
        fragments = [
            f"fragment {name} on Category {{ name parent {{ ...{names[(i + 1) % length]} }} }}"
            for i, name in enumerate(names)
        ]
        text = "{ categories { ...C0 } } " + " ".join(fragments)
        attacks.append(Attack("fragment cycle", "GRAPHQL_VALIDATION_FAILED", _query(text)))
    return attacks


def huge_pages(rng: random.Random) -> list[Attack]:
    attacks = []
    for i in range(40):
        size = rng.choice([101, 150, 500, 1000, 10_000, 2**31 - 1])
        argument = "first" if i % 2 == 0 else "last"
        connection = CONNECTIONS_PUBLIC[i % len(CONNECTIONS_PUBLIC)]
        text = f"{{ {connection}({argument}: {size}) {{ totalCount }} }}"
        attacks.append(Attack("huge page (literal)", "PAGE_SIZE_EXCEEDED", _query(text)))
    for i in range(30):
        size = 101 + rng.randrange(100_000)
        connection = CONNECTIONS_BACK_OFFICE[i % len(CONNECTIONS_BACK_OFFICE)]
        text = f"query($n: Int) {{ {connection}(first: $n) {{ totalCount }} }}"
        attacks.append(
            Attack("huge page (variable)", "PAGE_SIZE_EXCEEDED", _query(text, n=size), role=Role.HQ_ADMIN)
        )
    return attacks


def _nest(path: list[str], leaf: str) -> str:
    """`["a", "b(x: 1)"]`, `"c"` → `{ a { b(x: 1) { c } } }`."""
    text = leaf
    for step in reversed(path):
        text = f"{step} {{ {text} }}"
    return f"{{ {text} }}"


def cost_bombs() -> list[Attack]:
    attacks = []
    for first in range(20, 101, 2):  # customers × their orders × lines: far above the HQ budget
        path = [f"customers(first: {first})", "edges", "node", f"orders(first: {first})", "edges", "node"]
        text = _nest(path, "orderNo lines { sku { product { name } } }")
        attacks.append(Attack("cost bomb", "MAX_COST_EXCEEDED", _query(text), role=Role.HQ_ADMIN))
    for first in range(40, 101, 3):  # the public catalogue, nested back and forth, as anonymous
        path = [f"products(first: {first})", "edges", "node", "skus", "product", "skus", "product"]
        text = _nest(path, "category { children { name } }")
        attacks.append(Attack("cost bomb", "MAX_COST_EXCEEDED", _query(text)))
    return attacks


def introspection_abuse() -> list[Attack]:
    attacks = []
    probes = [
        "{ __schema { types { name } } }",
        "{ __schema { queryType { name } mutationType { name } } }",
        '{ __type(name: "Order") { fields { name } } }',
        '{ __type(name: "Customer") { fields { name type { name } } } }',
        "{ viewer { role } __schema { directives { name } } }",
        "query Q { ...F } fragment F on Query { __schema { types { name } } }",
        '{ a: __type(name: "Mutation") { name } }',
        "{ ... on Query { __schema { types { fields { name } } } } }",
    ]
    for i in range(48):
        probe = probes[i % len(probes)]
        role = None if i % 2 == 0 else Role.SHOPPER
        attacks.append(
            Attack("introspection", "INTROSPECTION_DISABLED", _query(probe + " " * (i // 8)), role=role)
        )
    for depth in range(11, 31):  # introspection as HQ (allowed) but absurdly deep
        inner = "name"
        for _ in range(depth):
            inner = f"ofType {{ {inner} }}"
        text = f"{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}"
        attacks.append(Attack("deep introspection", "MAX_DEPTH_EXCEEDED", _query(text), role=Role.HQ_ADMIN))
    return attacks


def oversized(rng: random.Random) -> list[Attack]:
    attacks = []
    for i in range(30):
        length = 20_001 + rng.randrange(200_000)
        text = f'{{ products(first: 1, filter: {{ name: "{"桔" * length}" }}) {{ totalCount }} }}'
        attacks.append(Attack("oversized string", "DOCUMENT_TOO_LARGE", _query(text + " " * i)))
    for i in range(10):  # a small document with a huge variable: refused by the body limit
        body = _query("query($n: String) { products(first: 1, filter: { name: $n }) { totalCount } }")
        body["variables"] = {"n": "x" * (2_000_001 + i * 100_000)}
        attacks.append(Attack("oversized body", "REQUEST_TOO_LARGE", body, status=413))
    return attacks


def token_floods() -> list[Attack]:
    attacks = []
    for n in range(2_001, 3_201, 40):  # short tokens, under the character limit
        text = "{ viewer { " + "role " * n + "} }"
        attacks.append(Attack("token flood", "MAX_TOKENS_EXCEEDED", _query(text)))
    return attacks


def batches() -> list[Attack]:
    single = {"query": "{ viewer { role } }"}
    return [
        Attack("batching", "BATCHING_NOT_SUPPORTED", [single] * n, status=400)
        for n in (2, 3, 5, 10, 50, 100, 1000)
    ] + [Attack("batching", "BATCHING_NOT_SUPPORTED", [], status=400)]


def garbage(rng: random.Random) -> list[Attack]:
    alphabet = '{}()[]:$@!#...abc 123"\\'
    attacks = []
    for i in range(25):
        text = "{ viewer { " + "".join(rng.choice(alphabet) for _ in range(5 + i * 3)) + " }"
        attacks.append(Attack("garbage", "GRAPHQL_PARSE_FAILED", _query(text + "{")))
    return attacks


def huge_input_lists() -> list[Attack]:
    """Lists past their ceiling (gql/gate/input_checks.py), inline and in variables, at several depths."""
    orders = "query($f: OrderFilter) { orders(first: 1, filter: $f) { totalCount } }"
    attacks = []
    for n in (101, 1_000, 5_000, 50_000):
        texts = [{"text": f"x{i}"} for i in range(n)]
        attacks += [
            Attack("huge input list", "BAD_USER_INPUT", _query(orders, f={"or": texts}), role=Role.SHOPPER),
            Attack("huge input list", "BAD_USER_INPUT", _query(orders, f={"and": [{"or": texts}]})),
            Attack(
                "huge input list",
                "BAD_USER_INPUT",
                _query(orders, f={"storeIds": [f"id{i}" for i in range(n)]}),
                role=Role.HQ_ADMIN,
            ),
        ]
    codes = ", ".join(f'"S{i}"' for i in range(101))
    attacks.append(
        Attack(
            "huge input list",
            "BAD_USER_INPUT",
            _query(f"{{ orders(first: 1, filter: {{ storeCodes: [{codes}] }}) {{ totalCount }} }}"),
            role=Role.HQ_ADMIN,
        )
    )
    ids = _query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=["x"] * 101)
    return [*attacks, Attack("huge input list", "PAGE_SIZE_EXCEEDED", ids)]


def nul_strings() -> list[Attack]:
    """NUL characters in any string, inline or in variables, nested in input objects and lists."""
    stores = "query($s: String) { stores(first: 1, filter: { search: $s }) { totalCount } }"
    products = "query($f: ProductFilter) { products(first: 1, filter: $f) { totalCount } }"
    attacks = [
        Attack(
            "NUL string",
            "BAD_USER_INPUT",
            _query('{ stores(first: 1, filter: { search: "SH\\u0000" }) { totalCount } }'),
        ),
        Attack("NUL string", "BAD_USER_INPUT", _query('{ store(code: "\\u0000") { id } }')),
    ]
    for text in ("\x00", "SH\x00", "\x00" * 1_000, "张三\x00李四"):
        attacks += [
            Attack("NUL string", "BAD_USER_INPUT", _query(stores, s=text)),
            Attack("NUL string", "BAD_USER_INPUT", _query(products, f={"name": text})),
            Attack(
                "NUL string",
                "BAD_USER_INPUT",
                _query(
                    "query($f: OrderFilter) { orders(first: 1, filter: $f) { totalCount } }",
                    f={"or": [{"text": "a"}, {"storeCodes": ["SH001", text]}]},
                ),
                role=Role.HQ_ADMIN,
            ),
        ]
    return attacks


def not_graphql_bodies() -> list[Attack]:
    """JSON bodies that are not an object: refused by the request guard, before any parsing."""
    return [
        Attack("body not an object", "BAD_REQUEST", body, status=400)
        for body in (None, 0, 42, True, False, "x", 1.5)
    ]


def corpus(seed: int = 8) -> list[Attack]:
    rng = random.Random(seed)
    return [
        *deep_nesting(),
        *alias_floods(),
        *fragment_cycles(),
        *huge_pages(rng),
        *cost_bombs(),
        *introspection_abuse(),
        *oversized(rng),
        *token_floods(),
        *batches(),
        *garbage(rng),
        *huge_input_lists(),
        *nul_strings(),
        *not_graphql_bodies(),
    ]


def directive_floods() -> list[Attack]:
    """Directives repeated where they may appear once, and unknown ones, by the hundred."""
    attacks = []
    for n in (2, 10, 100, 250):
        text = "{ viewer { role " + "@skip(if: false) " * n + "} }"
        attacks.append(Attack("directive flood", "GRAPHQL_VALIDATION_FAILED", _query(text)))
        text = "{ viewer { role " + " ".join(f"@d{i}" for i in range(n)) + " } }"
        attacks.append(Attack("directive flood", "GRAPHQL_VALIDATION_FAILED", _query(text)))
    text = "{ viewer { role " + "@include(if: true) " * 400 + "} }"  # ~2,400 tokens
    attacks.append(Attack("directive flood", "MAX_TOKENS_EXCEEDED", _query(text)))
    return attacks


def merge_floods() -> list[Attack]:
    """Fields sharing a response key, and fragments spread side by side: graphql-core's
    OverlappingFieldsCanBeMerged compares each pair, so `gql/gate/shape.py` bounds them first."""
    attacks = []
    for n in (33, 100, 200, 490):  # one key, n times: 1 s of validation at 490, under the token limit
        attacks.append(
            Attack("merge flood", "DOCUMENT_TOO_LARGE", _query("{ " + "viewer { role } " * n + "}"))
        )
        text = "{ viewer { " + "r: role " * min(n, 30) + "role " * n + "} }"
        attacks.append(Attack("merge flood", "DOCUMENT_TOO_LARGE", _query(text)))
    for outer, inner in ((6, 6), (30, 30), (43, 43)):  # merged below: outer × inner nodes on one path
        text = "{ " + ("viewer { " + "role " * inner + "} ") * outer + "}"
        attacks.append(Attack("merge flood", "DOCUMENT_TOO_LARGE", _query(text)))
    for n in (33, 100, 220):  # distinct fragments spread into one selection set
        spreads = " ".join(f"...F{i}" for i in range(n))
        fragments = " ".join(f"fragment F{i} on Viewer {{ role }}" for i in range(n))
        attacks.append(
            Attack("merge flood", "DOCUMENT_TOO_LARGE", _query(f"{{ viewer {{ {spreads} }} }} {fragments}"))
        )
        fragments = " ".join(f'fragment F{i} on Query {{ store(code: "{i}") {{ code }} }}' for i in range(n))
        text = "{ " + spreads + " } " + fragments
        if n < 200:  # the same key with different arguments in each fragment
            attacks.append(Attack("merge flood", "DOCUMENT_TOO_LARGE", _query(text)))
    for n in (33, 300):
        text = "{ viewer { " + "... on Viewer { __typename } " * n + "} }"
        attacks.append(Attack("merge flood", "DOCUMENT_TOO_LARGE", _query(text)))
    leaves = " ".join(f"{name} " * 32 for name in ("role", "subject"))  # 32 per key, too many pairs in all
    text = f"{{ viewer {{ {leaves} }} categories {{ {'name ' * 32} {'id ' * 32} {'level ' * 32} }} }}"
    attacks.append(Attack("merge flood", "DOCUMENT_TOO_LARGE", _query(text)))
    text = "{ viewer { role } } fragment Unused on Viewer { " + "role " * 300 + "}"  # validated all the same
    attacks.append(Attack("merge flood", "DOCUMENT_TOO_LARGE", _query(text)))
    return attacks
