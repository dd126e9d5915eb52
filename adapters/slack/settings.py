"""Slack settings from the environment; a bad value stops start-up with one line naming it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.settings import ConfigError, load  # noqa: F401 - ConfigError is part of this module's API


class SlackSettings(BaseSettings):
    """SLACK_* variables (see .env.example)."""

    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore", env_ignore_empty=True)

    bot_token: str = Field(pattern=r"^xoxb-\S+$")
    app_token: str | None = Field(default=None, pattern=r"^xapp-\S+$")
    signing_secret: str | None = Field(default=None, min_length=8)
    mode: Literal["socket", "http"] = "socket"
    port: int = Field(default=3000, ge=1, le=65535)
    api_url: str = Field(default="https://slack.com/api/", pattern=r"^https?://\S+$")
    subscription_managers: str = Field(default="", pattern=r"^[\sA-Z0-9,]*$")
    """Comma-separated user ids who may change digest subscriptions besides workspace admins."""

    @property
    def managers(self) -> frozenset[str]:
        """The allow-list as a set of user ids."""
        return frozenset(u.strip() for u in self.subscription_managers.split(",") if u.strip())

    @field_validator("api_url")
    @classmethod
    def _trailing_slash(cls, url: str) -> str:
        return url if url.endswith("/") else url + "/"

    @model_validator(mode="after")
    def _mode_needs(self) -> SlackSettings:
        if self.mode == "socket" and not self.app_token:
            raise ValueError("SLACK_APP_TOKEN: required in socket mode (an app-level token, xapp-...)")
        if self.mode == "http" and not self.signing_secret:
            raise ValueError("SLACK_SIGNING_SECRET: required in http mode")
        return self


def load_settings() -> SlackSettings:
    """Read and check the settings; raise ConfigError with a single line on any problem."""
    return load(SlackSettings)


class SlackWebSettings(BaseSettings):
    """What posting through the Web API needs (the dedicated digest scheduler): a bot token, the API URL."""

    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore", env_ignore_empty=True)

    bot_token: str = Field(pattern=r"^xoxb-\S+$")
    api_url: str = Field(default="https://slack.com/api/", pattern=r"^https?://\S+$")

    @field_validator("api_url")
    @classmethod
    def _trailing_slash(cls, url: str) -> str:
        return url if url.endswith("/") else url + "/"

