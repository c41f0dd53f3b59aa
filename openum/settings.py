"""Typed settings read from OPENUM_* environment variables."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from openum.clock import Clock, FrozenClock, SystemClock

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "dev-only-secret-change-me-0123456789abcdef"


class UnsafeSettings(ValueError):
    """A production deployment was configured with an unsafe value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENUM_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'openum.db'}"
    packs_dir: Path = REPO_ROOT / "packs"
    storage_dir: Path = REPO_ROOT / "var" / "attachments"
    secret_key: str = DEFAULT_SECRET
    token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    debug: bool = False
    max_body_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    fax_dir: Path = REPO_ROOT / "var" / "fax-outbox"
    mail_dir: Path = REPO_ROOT / "var" / "mail-room"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_sender: str = "um-notices@openum.local"
    portal_url: str = "http://127.0.0.1:8000/ui/"
    # For replaying and for tests of separate processes only: refused in production.
    frozen_now: datetime | None = None

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env != "production":
            return self
        problems = []
        if self.database_url.startswith("sqlite"):
            problems.append("OPENUM_DATABASE_URL must be PostgreSQL in production, not SQLite")
        if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
            problems.append("OPENUM_SECRET_KEY must be set to a random value of 32+ characters")
        if self.debug:
            problems.append("OPENUM_DEBUG must be false in production")
        if self.frozen_now is not None:
            problems.append("OPENUM_FROZEN_NOW must not be set in production")
        if problems:
            raise UnsafeSettings("; ".join(problems))
        return self


    def clock(self) -> Clock:
        """The system clock, or a frozen one when OPENUM_FROZEN_NOW is set outside production."""
        if self.frozen_now is not None:
            if self.frozen_now.tzinfo is None:
                raise UnsafeSettings("OPENUM_FROZEN_NOW needs a UTC offset")
            return FrozenClock(self.frozen_now)
        return SystemClock()


@lru_cache
def get_settings() -> Settings:
    """Settings of this process, read once."""
    return Settings()
