"""The introspection queries real tools send, verbatim, as fixtures.

Each text is in `introspection_texts/` byte for byte as the tool's own code produced it (trailing
spaces and blank lines included; a `.graphql` file keeps them where a Python literal could not):

* graphql-js 16.15.0 `getIntrospectionQuery()` with its defaults — what Apollo Client DevTools'
  explorer sends (operation name `IntrospectionQuery`), and graphql-core's default shape;
* the same with every option on (descriptions, specifiedByUrl, directiveIsRepeatable,
  schemaDescription, inputValueDeprecation, oneOf);
* GraphiQL 3.8.3 (the version `gql/static/graphiql/` serves): the graphql-js bundled in
  `graphiql.min.js`, called as GraphiQL calls it, with inputValueDeprecation and schemaDescription,
  and with the options our `start.js` passes (inputValueDeprecation only);
* graphql-js 15.8.0 with inputValueDeprecation: the older shape (seven `ofType` levels, root types
  without `kind`) of tools that still bundle graphql 15.

`SHA256` pins the files, so an edit to a fixture is seen.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

TEXTS_DIR: Final = Path(__file__).resolve().parent / "introspection_texts"

SHA256: Final[dict[str, str]] = {
    "graphql_js_16_15_default": "220c4d6318e094c53a6dee817ab88bcc089e1068600a0d4a4ab67cbad2d292ac",
    "graphql_js_16_15_all_options": "304b32b7f38b9895681a26974d455c5066e11cda23036eebb89451e40f436e53",
    "graphiql_3_8_3": "e077751cce71df6b42985821f9755021a95b83a51f6a706c49f1c6fa1f222ba8",
    "graphiql_3_8_3_app": "d1629540c20aeb31247c58d9f79c32d9c62c1841cafbc69259aea24e799ef6f7",
    "graphql_js_15_8_input_value_deprecation": (
        "b8173a23abce7d30f2cfc5b91d314690cde2e1b4afe24e7160b4d9cb32c11601"
    ),
}


def _read(name: str) -> str:
    raw = (TEXTS_DIR / f"{name}.graphql").read_bytes()
    if hashlib.sha256(raw).hexdigest() != SHA256[name]:
        raise AssertionError(f"introspection fixture {name} changed")
    return raw.decode("utf-8")


INTROSPECTION_QUERIES: Final[dict[str, str]] = {name: _read(name) for name in SHA256}
"""Fixture name → the query text, exactly as sent."""

GRAPHQL_JS_DEFAULT: Final = INTROSPECTION_QUERIES["graphql_js_16_15_default"]
