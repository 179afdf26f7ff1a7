"""Invalid settings fail at start with the variable's name."""

from __future__ import annotations

import pytest

from gql.settings import SettingsError, load_settings


def test_defaults_are_an_embedded_sqlite_database(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TIMEZONE", "REFUND_WINDOW_DAYS"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings()
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.timezone == "Asia/Shanghai"
    assert s.refund_window_days == 15


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("TIMEZONE", "Mars/Olympus", "invalid setting TIMEZONE"),
        ("DATABASE_URL", "mysql://x", "invalid setting DATABASE_URL"),
        ("REDIS_URL", "http://x", "invalid setting REDIS_URL"),
        ("REFUND_WINDOW_DAYS", "-1", "invalid setting REFUND_WINDOW_DAYS"),
        ("PAYMENT_TIMEOUT_MINUTES", "soon", "invalid setting PAYMENT_TIMEOUT_MINUTES"),
        ("LOG_LEVEL", "LOUD", "invalid setting LOG_LEVEL"),
    ],
)
def test_invalid_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_production_refuses_the_dev_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "prod")
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load_settings()
    monkeypatch.setenv("JWT_SECRET", "x" * 40)
    assert load_settings().environment.value == "prod"


def test_empty_redis_url_means_in_process_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "")
    assert load_settings().redis_url is None
