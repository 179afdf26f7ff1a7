"""Process settings, read once from the environment (and an optional `.env`).

Every knob an operator may turn lives here, so a misspelt or invalid value fails at start with the
variable's name instead of surfacing later as a strange runtime error.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'mallgraph.db'}"
DEV_JWT_SECRET = "mallgraph-dev-secret-change-me-in-production"
SUPPORTED_DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Settings(BaseSettings):
    """Typed settings; environment variable names are the field names in upper case."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: Environment = Environment.DEV
    database_url: str = DEFAULT_SQLITE_URL
    analytics_database_url: str | None = None
    redis_url: str | None = None
    timezone: str = "Asia/Shanghai"

    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "mallgraph"
    jwt_audience: str | None = None
    jwt_algorithm: str = "HS256"

    refund_window_days: int = Field(default=15, ge=0, le=365)
    payment_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    acceptance_timeout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    auto_complete_days: int = Field(default=7, ge=1, le=60)
    sweep_interval_seconds: float = Field(default=10.0, ge=0)
    """0 disables the in-process sweeper (e.g. when a separate worker runs it)."""

    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    log_level: LogLevel = LogLevel.INFO
    share_base_url: str = "https://m.mallgraph.example"

    # Metrics (issue 7): see docs/metrics.md.
    analyst_statement_timeout_ms: int = Field(default=15_000, ge=0)
    """PostgreSQL statement timeout of the ANALYST role's metrics queries (0 = the database default)."""
    metrics_cache_seconds: float = Field(default=30.0, ge=0)
    """How long a computed figure is served from the cache (0 = never cached)."""
    metrics_rollup_max_age_seconds: float = Field(default=60.0, ge=0)
    """A metrics query refreshes the rollups first when they are older than this, even if no
    change was seen (catches transactions that committed late)."""
    metrics_rollups: bool = True
    """False: compute every figure from raw rows (diagnostics, and the benchmark's baseline)."""

    # Live order events and running several processes (issue 11): see docs/deployment.md.
    log_format: Literal["json", "text"] = "json"
    """json: one JSON object per line (request id, principal, operation, duration, SQL count)."""
    subscription_queue_size: int = Field(default=1000, ge=1, le=1_000_000)
    """Events buffered per subscriber; a subscriber further behind is closed with 4413."""
    subscription_ping_seconds: float = Field(default=15.0, ge=0)
    """Server `ping` messages on every subscription connection (0 = none)."""
    subscription_catchup_seconds: float = Field(default=30.0, gt=0)
    """Every subscriber re-reads the timeline this often, so a lost notice is only delayed."""
    subscription_replay_limit: int = Field(default=10_000, ge=1)
    """At most this many events are replayed for one `since`; further back, reload instead."""
    shutdown_grace_seconds: int = Field(default=20, ge=0)
    """On SIGTERM, in-flight requests get this long to finish before the process exits."""

    @field_validator("database_url", "analytics_database_url")
    @classmethod
    def _known_driver(cls, value: str | None) -> str | None:
        if value is None:
            return value
        scheme = value.split("://", 1)[0]
        if scheme not in SUPPORTED_DATABASE_SCHEMES:
            raise ValueError(
                f"unsupported scheme {scheme!r}; use one of {', '.join(SUPPORTED_DATABASE_SCHEMES)}"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("jwt_algorithm")
    @classmethod
    def _supported_algorithm(cls, value: str) -> str:
        if value not in ("HS256", "HS384", "HS512"):
            raise ValueError("only HMAC algorithms (HS256/HS384/HS512) are supported")
        return value

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.environment is Environment.PROD and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError("JWT_SECRET must be set in production (ENVIRONMENT=prod)")
        if len(self.jwt_secret) < 32:
            raise ValueError("JWT_SECRET must be at least 32 characters")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SettingsError(RuntimeError):
    """Raised with one readable line per invalid variable."""


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn pydantic's error into messages that name the environment variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
            lines.append(f"invalid setting {name}: {err['msg']}")
        raise SettingsError("\n".join(lines)) from None


@functools.cache
def get_settings() -> Settings:
    return load_settings()
