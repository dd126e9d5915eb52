"""Adapter settings from the environment: a bad value stops start-up with one line naming it."""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound=BaseSettings)


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line that names the variable."""


def load(settings: type[S]) -> S:
    """Read and check ``settings`` from the environment; raise ConfigError with a single line on any problem."""
    try:
        return settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        if err["loc"]:
            name = settings.model_config.get("env_prefix", "") + str(err["loc"][0]).upper()
            problem = "is not set" if err["type"] == "missing" else f"is invalid ({err['msg']})"
            raise ConfigError(f"{name} {problem}") from None
        raise ConfigError(err["msg"].removeprefix("Value error, ")) from None


class DigestSettings(BaseSettings):
    """MODELWIRE_DIGEST_* variables: how this process takes part in posting release digests."""

    model_config = SettingsConfigDict(env_prefix="MODELWIRE_DIGEST_", extra="ignore", env_ignore_empty=True)

    scheduler: Literal["inline", "off"] = "inline"
    tick_seconds: float = Field(default=30, ge=1, le=3600)
    max_attempts: int = Field(default=8, ge=1, le=100)


class ServiceSettings(BaseSettings):
    """MODELWIRE_HEALTH_PORT: serve GET /healthz on this port (unset: no HTTP server)."""

    model_config = SettingsConfigDict(env_prefix="MODELWIRE_", extra="ignore", env_ignore_empty=True)

    health_port: int | None = Field(default=None, ge=1, le=65535)


class AnswerSettings(BaseSettings):
    """MODELWIRE_ANSWER_WORKERS: how many questions a chat bot process answers at once;
    MODELWIRE_ANSWER_TIMEOUT_SECONDS: how long one answer may take before the person gets an apology.

    Answering is blocking work (database, matching) done in a thread pool of this size, so one slow
    answer never holds up the others; more questions than workers wait their turn, and the wait counts
    towards the time budget (see ``adapters.answering``).
    """

    model_config = SettingsConfigDict(env_prefix="MODELWIRE_ANSWER_", extra="ignore", env_ignore_empty=True)

    workers: int = Field(default=4, ge=1, le=64)
    timeout_seconds: float = Field(default=15, ge=1, le=300)


class SyncSettings(BaseSettings):
    """MODELWIRE_SYNC_*: the scheduled models.dev sync (off unless an interval is set)."""

    model_config = SettingsConfigDict(env_prefix="MODELWIRE_SYNC_", extra="ignore", env_ignore_empty=True)

    url: str = Field(default="https://models.dev/models.json", pattern=r"^https?://\S+$")
    interval_minutes: float = Field(default=0, ge=0, le=7 * 24 * 60)
