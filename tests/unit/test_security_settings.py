"""Issue 8's settings: invalid values stop the start with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from gql.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"max_query_depth": 1}, "MAX_QUERY_DEPTH"),
        ({"max_page_size": 101}, "MAX_PAGE_SIZE"),
        ({"cost_budget_shopper": 0}, "COST_BUDGET_SHOPPER"),
        ({"rate_restore_anonymous": 0}, "RATE_RESTORE_ANONYMOUS"),
        ({"cors_allow_origins": "admin.example"}, "CORS_ALLOW_ORIGINS"),
        ({"trusted_documents_path": "/nonexistent/manifest.json"}, "TRUSTED_DOCUMENTS_PATH"),
        ({"trusted_documents_only": True}, "TRUSTED_DOCUMENTS_ONLY"),
        ({"max_request_bytes": 10}, "MAX_REQUEST_BYTES"),
    ],
)
def test_invalid_security_settings_name_the_variable(overrides: dict[str, object], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(**overrides)


def test_defaults_follow_the_environment(tmp_path: Path) -> None:
    dev = load_settings()
    assert dev.introspection_for_everyone
    assert dev.suggestions_enabled
    prod = load_settings(environment="prod", jwt_secret="p" * 40)
    assert not prod.introspection_for_everyone
    assert not prod.suggestions_enabled
    assert load_settings(
        environment="prod", jwt_secret="p" * 40, public_introspection=True
    ).introspection_for_everyone
    manifest = tmp_path / "m.json"
    manifest.write_text("{}")
    s = load_settings(
        trusted_documents_path=manifest, trusted_documents_only=True, cors_allow_origins="*, https://a.b"
    )
    assert s.cors_origins == ["*", "https://a.b"]
