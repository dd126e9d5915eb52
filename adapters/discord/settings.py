"""Discord settings from the environment; a bad value stops start-up with one line naming it."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.settings import ConfigError, load  # noqa: F401 - ConfigError is part of this module's API


class DiscordSettings(BaseSettings):
    """DISCORD_* variables (see .env.example)."""

    model_config = SettingsConfigDict(env_prefix="DISCORD_", extra="ignore", env_ignore_empty=True)

    token: str = Field(min_length=20, pattern=r"^\S+$")
    guild_id: int | None = Field(default=None, gt=0)
    api_url: str = Field(default="https://discord.com/api/v10", pattern=r"^https?://\S+$")
    gateway_url: str = Field(default="wss://gateway.discord.gg/", pattern=r"^wss?://\S+$")
    shard_id: int | None = Field(default=None, ge=0)
    shard_count: int | None = Field(default=None, ge=1)
    """Sharding: run one process per shard, each with the same count and its own id (both or neither)."""

    @model_validator(mode="after")
    def _shards(self) -> DiscordSettings:
        if (self.shard_id is None) != (self.shard_count is None):
            raise ValueError("DISCORD_SHARD_ID and DISCORD_SHARD_COUNT: set both (one process per shard) or neither")
        if self.shard_id is not None and self.shard_count is not None and self.shard_id >= self.shard_count:
            raise ValueError(f"DISCORD_SHARD_ID must be below DISCORD_SHARD_COUNT ({self.shard_count})")
        return self

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
    return load(DiscordSettings)
