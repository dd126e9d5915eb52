"""Adapter settings from the environment: a bad value stops start-up with one line naming it."""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

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
