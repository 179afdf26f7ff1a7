"""The SQL that reads every order by local day (a rebuild's fill, the recount's check), per dialect.

The local day of a stored UTC time is computed as the triggers of migration 0034 compute it: from
the offset `order_day_offsets` holds for that instant (PostgreSQL: `order_local_day()`, a function
of that migration; SQLite: the same lookup inline, on the time cut to whole seconds, as the migration's
`sqlite_day` explains).
"""

from __future__ import annotations


def _day(postgres: bool, at: str) -> str:
    if postgres:
        return f"order_local_day({at})"
    return (
        f"(SELECT date(substr({at}, 1, 19), o.offset_seconds || ' seconds') FROM order_day_offsets o "
        f"WHERE o.starts_at <= {at} ORDER BY o.starts_at DESC LIMIT 1)"
    )


def _counted(postgres: bool) -> str:
    """(basis, day, store_id, status, n): the orders per part, counted from the orders."""
    return f"""
    SELECT basis, day, store_id, status, count(*) AS n FROM (
        SELECT 'created' AS basis, {_day(postgres, "created_at")} AS day, store_id, status FROM orders
        UNION ALL
        SELECT 'paid', {_day(postgres, "paid_at")}, store_id, status FROM orders WHERE paid_at IS NOT NULL
    ) t WHERE day IS NOT NULL GROUP BY basis, day, store_id, status
    """


def fill_statement(postgres: bool) -> str:
    """One part per (basis, day, store, status), from the orders."""
    return f"INSERT INTO order_day_count_parts (basis, day, store_id, status, n) {_counted(postgres)}"


def mismatch_statement(postgres: bool) -> str:
    """(basis, day, store_id, status, parts, orders) of every part key whose parts and orders differ."""
    return f"""
    SELECT basis, day, store_id, status, sum(p), sum(o) FROM (
        SELECT basis, day, store_id, status, n AS p, 0 AS o FROM order_day_count_parts
        UNION ALL
        SELECT basis, day, store_id, status, 0, n FROM ({_counted(postgres)}) c
    ) b GROUP BY basis, day, store_id, status HAVING sum(p) <> sum(o)
    """


_PART = "p.id, p.basis, p.day, p.store_id, p.status, p.n"


def changed_statement(postgres: bool, through: int) -> str:
    """(id, basis, day, store_id, status, n): every part of each key that has a part with an id above
    `through`, each key found by the index on (basis, day, status, store_id): PostgreSQL would
    rather hash-join the whole table, so a LATERAL probes it once per key (a NULL store, the HQ
    warehouse, by IS NULL); SQLite probes it anyway, and its `IS` matches NULL with NULL. When
    `through` is 0, every key that has several parts, found by grouping the whole table."""
    if through <= 0:  # every key (after the migration or a bulk load): those with several parts
        return f"""
        SELECT {_PART} FROM order_day_count_parts p JOIN (
            SELECT basis, day, status, coalesce(store_id, -1) AS store FROM order_day_count_parts
            GROUP BY basis, day, status, coalesce(store_id, -1) HAVING count(*) > 1
        ) k ON p.basis = k.basis AND p.day = k.day AND p.status = k.status
            AND coalesce(p.store_id, -1) = k.store
        """
    keys = (
        f"SELECT DISTINCT basis, day, status, store_id FROM order_day_count_parts WHERE id > {int(through)}"
    )
    if not postgres:
        return f"""
        SELECT {_PART} FROM ({keys}) k JOIN order_day_count_parts p
        ON p.basis = k.basis AND p.day = k.day AND p.status = k.status AND p.store_id IS k.store_id
        """
    probe = (
        f"SELECT {_PART} FROM order_day_count_parts p "
        "WHERE p.basis = k.basis AND p.day = k.day AND p.status = k.status"
    )
    return f"""
    SELECT p.* FROM ({keys}) k CROSS JOIN LATERAL (
        {probe} AND p.store_id = k.store_id
        UNION ALL
        {probe} AND p.store_id IS NULL AND k.store_id IS NULL
    ) p
    """
