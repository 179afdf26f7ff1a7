"""Structured logs: one JSON object per line on stderr, for a log shipper to index.

Fields every line has: `ts` (UTC, ISO 8601), `level`, `logger`, `msg`, `pid`; a request's line adds
what `gql/http/observability.py` passes as `extra` (request_id, principal, operation, duration_ms, cost,
sql_statements, error_codes, status, path). `LOG_FORMAT=text` gives the classic one-line format
for a developer's terminal.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from gql.settings import Settings

_STANDARD: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's ANSI-coloured copy of msg
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": os.getpid(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(settings: Settings) -> None:
    """Replace the root handlers (uvicorn's loggers propagate to root: they are JSON too).

    Called by the CLI at start and again in each worker process (`create_served_app`), which
    does not inherit the parent's logging configuration.
    """
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.value)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Our own request line (mallgraph.request) says more than uvicorn's access line.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
