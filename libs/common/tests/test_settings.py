from __future__ import annotations

import pytest

from guichet_common.settings import CommonSettings, asyncpg_url


class DemoSettings(CommonSettings):
    service_prefix = "DEMO_"


def test_service_prefix_overrides_shared_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUICHET_DATABASE_URL", "postgresql://shared@db/guichet")
    monkeypatch.setenv("GUICHET_LOG_LEVEL", "DEBUG")
    assert DemoSettings().database_url == "postgresql+asyncpg://shared@db/guichet"
    monkeypatch.setenv("DEMO_DATABASE_URL", "postgres://demo@db/guichet")
    settings = DemoSettings()
    assert settings.database_url == "postgresql+asyncpg://demo@db/guichet"
    assert settings.log_level == "DEBUG"


def test_missing_database_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GUICHET_DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="DEMO_DATABASE_URL"):
        DemoSettings().require_database_url()


def test_only_postgres_urls() -> None:
    with pytest.raises(ValueError):
        asyncpg_url("mysql://x")
