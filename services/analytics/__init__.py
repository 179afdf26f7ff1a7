"""Aggregate queries of the analysts (SPEC §9): one typed question per fact, answered by one GROUP BY.

A question names a fact (orders, order lines), the rows it covers (the admin list's filter and
`query:` string, with the caller's scope: exactly the rows the list shows that caller), the
dimensions to group by, the measures to compute, `having`, a sort and `top`. `dimensions.py`
holds the grouping keys (time buckets in the business time zone), `measures.py` the aggregates,
`statement.py` the one statement of groups and totals (and exact percentiles), `rollup_source.py`
the questions the metrics rollups answer, `questions.py` what a question is and its checks,
`fact_rows.py` the rows it groups, and `queries.py` picks its source, runs the statement on the
analytics sessions and reads the answer back.
"""
