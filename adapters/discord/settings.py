"""Discord settings from the environment; a bad value stops start-up with one line naming it."""

from __future__ import annotations

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line that names the variable."""


class DiscordSettings(BaseSettings):
    """DISCORD_* variables (see .env.example)."""

    model_config = SettingsConfigDict(env_prefix="DISCORD_", extra="ignore")

    token: str = Field(min_length=20, pattern=r"^\S+$")
    guild_id: int | None = Field(default=None, gt=0)
    api_url: str = Field(default="https://discord.com/api/v10", pattern=r"^https?://\S+$")
    gateway_url: str = Field(default="wss://gateway.discord.gg/", pattern=r"^wss?://\S+$")

    @field_validator("guild_id", mode="before")
    @classmethod
    def _blank_guild(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        return url.rstrip("/")


def load_settings() -> DiscordSettings:
    """Read and check the settings; raise ConfigError with a single line on any problem."""
    try:
        return DiscordSettings()
    except ValidationError as exc:
        err = exc.errors()[0]
        if err["loc"]:
            name = "DISCORD_" + str(err["loc"][0]).upper()
            problem = "is not set" if err["type"] == "missing" else f"is invalid ({err['msg']})"
            raise ConfigError(f"{name} {problem}") from None
        raise ConfigError(err["msg"].removeprefix("Value error, ")) from None
