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

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'mallgraph.db'}"
DEV_JWT_SECRET = "mallgraph-dev-secret-change-me-in-production"
DEV_COURIER_SECRET = "mallgraph-dev-courier-webhook-secret-change-me"
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
    """Also the days after which an exchange's replacement parcel counts as received."""
    after_sale_review_hours: int = Field(default=48, ge=1, le=30 * 24)
    """客服介入: hours a store has to review a request before the buyer may escalate it to HQ."""
    sweep_interval_seconds: float = Field(default=10.0, ge=0)
    """0 disables the in-process sweeper (e.g. when a separate worker runs it)."""

    db_pool_size: int = Field(default=20, ge=1, le=200)
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
    level_first_execution: bool = True
    """False: every query through graphql-core's own executor (diagnostics, benchmark baseline);
    see gql/engine/execution.py."""
    group_buy_page_cache_seconds: float = Field(default=60.0, ge=0, le=3600)

    """How long a public group-buy page is served from the cache; joins and campaign changes
    drop it at once anyway, so this only bounds staleness after a lost invalidation (0 = off)."""

    # Security, limits and persisted queries (issue 8): see docs/security.md. The defaults sit well
    # above what the admin SPA and the mini-program send, and well below what hurts the database.
    max_query_chars: int = Field(default=20_000, ge=100)
    """Longest query text accepted (checked before parsing)."""
    max_query_tokens: int = Field(default=2_000, ge=10)
    """The parser stops after this many tokens (a flood of fields or arguments)."""
    max_query_depth: int = Field(default=15, ge=2, le=100)
    max_query_aliases: int = Field(default=30, ge=0)
    max_page_size: int = Field(default=100, ge=1, le=100)
    """`first`/`last` above this are refused at validation (SPEC §6: at most 100 a page)."""
    cost_default_list_size: int = Field(default=10, ge=1, le=100)
    """The assumed length of a list field without `first`/`last` (an order's lines, a product's SKUs)."""
    cost_budget_anonymous: int = Field(default=1_000, ge=1)
    cost_budget_shopper: int = Field(default=1_000, ge=1)
    cost_budget_store_staff: int = Field(default=10_000, ge=1)
    cost_budget_analyst: int = Field(default=10_000, ge=1)
    cost_budget_hq_admin: int = Field(default=10_000, ge=1)
    rate_limit_enabled: bool = True
    """Cost points per principal (IP for anonymous) in a token bucket as big as the role's budget."""
    rate_restore_anonymous: float = Field(default=100.0, gt=0)
    """Points per second given back to an anonymous caller's bucket (and so on per role)."""
    rate_restore_shopper: float = Field(default=100.0, gt=0)
    rate_restore_store_staff: float = Field(default=500.0, gt=0)
    rate_restore_analyst: float = Field(default=500.0, gt=0)
    rate_restore_hq_admin: float = Field(default=1_000.0, gt=0)
    # Public pages and crowds (issue 23): see docs/deployment.md, "Public pages behind a CDN".
    rate_limit_anonymous_ip_burst: int = Field(default=20_000, ge=1)
    """Bucket of one client address, which every anonymous request draws from (a carrier NAT's crowd);
    a request with a valid X-Visitor-Id also draws from that id's own bucket of COST_BUDGET_ANONYMOUS."""
    rate_restore_anonymous_ip: float = Field(default=2_000.0, gt=0)
    visitor_id_issue_burst: int = Field(default=30, ge=1)
    """Visitor ids one client address may obtain at once from POST /visitor-id ..."""
    visitor_id_issue_rate: float = Field(default=0.5, gt=0)
    """... and per second after that."""
    public_cache_seconds: float = Field(default=10.0, ge=0, le=3600)
    """How long a public page's answer is kept (in the app, and `s-maxage`/`max-age` for a CDN and
    the mini-program); 0 turns the whole-response cache and the public headers off."""
    public_cache_stale_seconds: float = Field(default=30.0, ge=0, le=86_400)
    """`stale-while-revalidate`: how long past that a CDN may serve the old answer while it refetches."""
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies whose X-Forwarded-For / X-Forwarded-Proto `mallgraph serve` believes (comma-separated
    addresses or networks, `*` for any); the client address of everyone else is the socket's."""
    public_introspection: bool | None = None
    """Introspection for STORE_STAFF, SHOPPER and anonymous callers; None: on outside production.
    HQ_ADMIN and ANALYST may always introspect."""
    field_suggestions: bool | None = None
    """"Did you mean …" in error messages; None: on outside production (they leak the schema)."""
    document_cache_size: int = Field(default=2_000, ge=0)
    """Parsed and validated documents kept per process, by hash (0 disables the cache)."""
    apq_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    """How long an automatically persisted query stays registered (Redis, or in process)."""
    trusted_documents_path: Path | None = None
    """A JSON manifest of trusted documents (Apollo's persisted-query manifest or Relay's hash → text)."""
    trusted_documents_only: bool = False
    """True: SHOPPER and anonymous callers may run only documents from the manifest."""
    max_request_bytes: int = Field(default=2_000_000, ge=1_000)
    """Larger request bodies get HTTP 413 before they are read in full."""
    cors_allow_origins: str = ""
    """Comma-separated origins allowed by CORS (`*` for any); empty: no CORS headers at all."""

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

    # Faults, not just outages (issue 21): see docs/deployment.md.
    redis_socket_timeout_seconds: float = Field(default=0.25, gt=0, le=30)
    """The longest one Redis command may wait for its answer (cache, rate limits, publishing)."""
    redis_connect_timeout_seconds: float = Field(default=0.25, gt=0, le=30)
    redis_breaker_cooldown_seconds: float = Field(default=1.0, gt=0, le=300)
    """After a Redis timeout or connection error, Redis calls fail open at once for this long,
    then one call probes (services/redis_breaker.py)."""
    request_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    """The deadline of one HTTP GraphQL request, admission and execution together; past it the
    request answers REQUEST_TIMEOUT and its statements are cancelled."""

    # Bulk export as jobs (issue 22): see docs/exports.md.
    export_dir: Path = PROJECT_ROOT / "var" / "exports"
    """Where export files are written (every process that runs or serves exports must share it)."""
    export_ttl_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    """A finished export's file is deleted (state EXPIRED) this long after it finished."""
    export_link_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    """How long a download link from `export(id) { downloadUrl }` stays valid."""
    export_max_open_per_owner: int = Field(default=2, ge=1, le=100)
    """Exports one caller may have queued or running at once; more are refused THROTTLED."""
    export_max_attempts: int = Field(default=3, ge=1, le=20)
    """Attempts of one export (a process dying mid-export costs one) before it is FAILED."""
    export_lease_seconds: float = Field(default=60.0, ge=5, le=3600)
    """A running export without a heartbeat for this long is taken over by another process."""

    # Store delivery (docs/fulfilment.md): the courier platform's signed callbacks.
    courier_webhook_secret: SecretStr | None = None
    """Shared with the courier platform: the HMAC key of its callbacks (≥ 32 characters). Unset: a
    fixed dev secret outside production, and the webhook refuses every call in production."""
    no_rider_minutes: int = Field(default=10, ge=1, le=24 * 60)
    """配送异常: minutes a picked order may wait for a rider before it enters the queue."""
    courier_webhook_tolerance_seconds: int = Field(default=300, ge=10, le=3600)
    """A callback whose timestamp is further than this from now is refused."""

    # Shopper sign-in (issue 23): see docs/sign_in.md.
    sign_in_provider: Literal["fake", "wechat"] | None = None
    """Who checks the mini-program's login codes. None: `wechat` when WECHAT_APP_ID is set, else the
    fake provider outside production (codes name users; no network) and no sign-in in production."""
    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_api_base_url: str = "https://api.weixin.qq.com"
    wechat_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """The longest one WeChat API call may take; past it sign-in answers PROVIDER_UNAVAILABLE."""
    access_token_seconds: int = Field(default=900, ge=1, le=24 * 3600)
    """Lifetime of a shopper access token from sign-in; a signed-out device keeps it until then."""
    refresh_token_days: float = Field(default=30.0, gt=0, le=365)
    """Lifetime of a refresh token; each refresh issues a new one (and retires the old one)."""
    sign_in_attempts_per_minute: int = Field(default=10, ge=1, le=10_000)
    """signIn calls allowed per client IP and per device id (a burst of this many, then this rate)."""

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

    @field_validator("cors_allow_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",") if o.strip()):
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"{origin!r} is not an origin (http(s)://host[:port] or *)")
        return value

    @field_validator("trusted_documents_path")
    @classmethod
    def _manifest_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @model_validator(mode="after")
    def _trusted_documents_need_a_manifest(self) -> Settings:
        if self.trusted_documents_only and self.trusted_documents_path is None:
            raise ValueError("TRUSTED_DOCUMENTS_ONLY needs TRUSTED_DOCUMENTS_PATH (the manifest)")
        return self

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.environment is Environment.PROD and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError("JWT_SECRET must be set in production (ENVIRONMENT=prod)")
        if len(self.jwt_secret) < 32:
            raise ValueError("JWT_SECRET must be at least 32 characters")
        courier = self.courier_webhook_secret
        if courier is not None and len(courier.get_secret_value()) < 32:
            raise ValueError("COURIER_WEBHOOK_SECRET must be at least 32 characters")
        return self

    @model_validator(mode="after")
    def _sign_in_provider_is_configured(self) -> Settings:
        if self.sign_in_provider == "wechat" and not (self.wechat_app_id and self.wechat_app_secret):
            raise ValueError("SIGN_IN_PROVIDER=wechat needs WECHAT_APP_ID and WECHAT_APP_SECRET")
        if self.sign_in_provider == "fake" and self.is_prod:
            raise ValueError("SIGN_IN_PROVIDER=fake is for dev and tests, not production")
        return self

    @property
    def identity_provider(self) -> Literal["fake", "wechat"] | None:
        """The sign-in provider in effect (None: sign-in answers PROVIDER_UNAVAILABLE)."""
        if self.sign_in_provider is not None:
            return self.sign_in_provider
        if self.wechat_app_id and self.wechat_app_secret:
            return "wechat"
        return None if self.is_prod else "fake"

    @property
    def courier_secret(self) -> str | None:
        """The courier webhook's key in effect (None: the webhook is off)."""
        if self.courier_webhook_secret is not None:
            return self.courier_webhook_secret.get_secret_value()
        return None if self.is_prod else DEV_COURIER_SECRET

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_allow_origins.split(",") if o.strip()]

    @property
    def suggestions_enabled(self) -> bool:
        return self.field_suggestions if self.field_suggestions is not None else not self.is_prod

    @property
    def introspection_for_everyone(self) -> bool:
        return self.public_introspection if self.public_introspection is not None else not self.is_prod

    @property
    def is_prod(self) -> bool:
        return self.environment is Environment.PROD


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
