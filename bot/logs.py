"""Process-wide logging: one JSON object per line for log collectors, or readable lines for people.

``configure()`` installs a single stderr handler on the root logger. The format comes from the
argument, else $MODELWIRE_LOG_FORMAT, else ``json`` when stderr is not a terminal and ``text`` when
it is; the level from the argument, else $MODELWIRE_LOG_LEVEL, else INFO. An empty variable counts
as unset. A bad value raises ValueError with one line that names the variable.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timezone

FORMAT_ENV = "MODELWIRE_LOG_FORMAT"
LEVEL_ENV = "MODELWIRE_LOG_LEVEL"
FORMATS = ("json", "text")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

NOISY_LOGGERS = ("aiohttp.access",)
"""Loggers that speak once per request (health probes included); kept to warnings unless DEBUG."""

_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def extra_fields(record: logging.LogRecord) -> dict:
    """The fields a caller attached with ``extra=``: whatever a plain LogRecord does not have."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS and not k.startswith("_")}


def _utc_iso(created: float) -> str:
    return datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: timestamp (UTC), level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "timestamp": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        for key, value in extra_fields(record).items():
            payload[f"extra.{key}" if key in payload else key] = value
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-04-08T12:00:00.000Z INFO     modelwire.slack: message key=value``, then any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc_iso(record.created)} {record.levelname:<8} {record.name}: {record.getMessage()}"
        extras = " ".join(f"{k}={v!r}" if isinstance(v, str) and " " in v else f"{k}={v}"
                          for k, v in extra_fields(record).items())
        if extras:
            line += " " + extras
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (so redirection is honoured)."""

    _modelwire: bool
    """Set on the handler ``configure`` installs, so calling it again replaces that one."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


def _setting(value: str | None, env: str) -> str | None:
    if value is None:
        value = os.environ.get(env)
    value = (value or "").strip()
    return value or None


def resolve_format(fmt: str | None = None) -> str:
    """The log format to use (see the module docstring); ValueError naming $MODELWIRE_LOG_FORMAT."""
    chosen = _setting(fmt, FORMAT_ENV)
    if chosen is None:
        isatty = getattr(sys.stderr, "isatty", None)
        return "text" if isatty is not None and isatty() else "json"
    if chosen.lower() not in FORMATS:
        raise ValueError(f"{FORMAT_ENV} must be one of {', '.join(FORMATS)}, not {chosen!r}")
    return chosen.lower()


def resolve_level(level: str | None = None) -> int:
    """The numeric log level to use; ValueError naming $MODELWIRE_LOG_LEVEL."""
    given = _setting(level, LEVEL_ENV) or "INFO"
    chosen = {"WARN": "WARNING"}.get(given.upper(), given.upper())
    if chosen not in LEVELS:
        raise ValueError(f"{LEVEL_ENV} must be one of {', '.join(LEVELS)}, not {given!r}")
    return getattr(logging, chosen)


def configure(fmt: str | None = None, level: str | None = None) -> None:
    """Send all logging to stderr in ``fmt`` (json|text) at ``level``; calling again replaces, never adds."""
    formatter = JsonFormatter() if resolve_format(fmt) == "json" else TextFormatter()
    numeric = resolve_level(level)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_modelwire", False)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler._modelwire = True
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if numeric <= logging.DEBUG else logging.WARNING)
    logging.captureWarnings(True)
