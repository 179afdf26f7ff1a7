"""Compare two runs of `make bench`: what changed per scenario.

    .venv/bin/python -m bench.compare bench/results/BEFORE.json bench/results/AFTER.json

Prints req/s, p95 latency, server CPU per request, SQL per request and peak RSS of both runs with
the change. CPU per request is the figure to trust when the machine was busy during a run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

FIGURES = (
    ("rps", "req/s"),
    ("p95_ms", "p95 ms"),
    ("cpu_ms_per_request", "CPU ms"),
    ("db_cpu_ms_per_request", "DB ms"),
    ("sql_per_request", "SQL"),
)


def _change(before: Any, after: Any) -> str:
    if not isinstance(before, (int, float)) or not isinstance(after, (int, float)) or not before:
        return ""
    return f"{(after - before) / before * 100:+.0f}%"


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    lines = [f"{'scenario':26} {'figure':8} {'before':>9} {'after':>9} {'change':>7}"]
    for name in sorted(set(before["scenarios"]) | set(after["scenarios"])):
        b, a = before["scenarios"].get(name, {}), after["scenarios"].get(name, {})
        for key, label in FIGURES:
            x, y = b.get(key, "-"), a.get(key, "-")
            lines.append(f"{name:26} {label:8} {x!s:>9} {y!s:>9} {_change(x, y):>7}")
    for run in (before, after):
        if "postgraphile_ratio" in run:
            lines.append(f"order_list / PostGraphile at {run['at']}: {run['postgraphile_ratio']}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    before = json.loads(args.before.read_text(encoding="utf-8"))
    after = json.loads(args.after.read_text(encoding="utf-8"))
    print("\n".join(compare(before, after)))


if __name__ == "__main__":
    main()
