"""bot.logs: JSON lines a collector can parse, readable text for people, one handler however often called."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import pytest

from bot import logs


@pytest.fixture(autouse=True)
def clean_logging(monkeypatch):
    """Each test starts without the modelwire handler or log variables, and leaves logging as it was."""
    monkeypatch.delenv(logs.FORMAT_ENV, raising=False)
    monkeypatch.delenv(logs.LEVEL_ENV, raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    noisy = {name: logging.getLogger(name).level for name in logs.NOISY_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, noisy_level in noisy.items():
        logging.getLogger(name).setLevel(noisy_level)
    logging.captureWarnings(False)


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_parse_with_timestamp_level_logger_message(capsys):
    logs.configure("json", "INFO")
    log = logging.getLogger("modelwire.test")
    log.info("hello %s", "world")
    log.warning("second")
    records = _json_lines(capsys.readouterr().err)
    assert [r["message"] for r in records] == ["hello world", "second"]
    first = records[0]
    assert first["level"] == "INFO" and first["logger"] == "modelwire.test"
    stamp = datetime.fromisoformat(first["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() == timedelta(0)


def test_json_carries_extra_fields(capsys):
    logs.configure("json", "INFO")
    logging.getLogger("modelwire.test").info(
        "delivered", extra={"channel": "C123", "attempt": 3, "when": datetime(2026, 4, 8), "level": "clash"})
    (record,) = _json_lines(capsys.readouterr().err)
    assert record["channel"] == "C123"
    assert record["attempt"] == 3
    assert record["when"] == "2026-04-08 00:00:00"  # not JSON-native: written as text, never dropped
    assert record["level"] == "INFO" and record["extra.level"] == "clash"


def test_json_includes_the_exception(capsys):
    logs.configure("json", "INFO")
    try:
        raise RuntimeError("database went away")
    except RuntimeError:
        logging.getLogger("modelwire.test").exception("delivery failed")
    (record,) = _json_lines(capsys.readouterr().err)
    assert record["message"] == "delivery failed"
    assert "Traceback" in record["exception"] and "RuntimeError: database went away" in record["exception"]


def test_text_is_one_readable_line_with_extras_and_traceback(capsys):
    logs.configure("text", "INFO")
    try:
        raise KeyError("k")
    except KeyError:
        logging.getLogger("modelwire.test").error("oops", exc_info=True, extra={"outbox_id": 7})
    err = capsys.readouterr().err
    first, *rest = err.splitlines()
    assert "ERROR" in first and "modelwire.test: oops" in first and "outbox_id=7" in first
    assert any("KeyError" in line for line in rest)
    with pytest.raises(json.JSONDecodeError):
        json.loads(first)


def test_configuring_twice_keeps_one_handler(capsys):
    logs.configure("json", "INFO")
    logs.configure("json", "INFO")
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_modelwire", False)]
    assert len(ours) == 1
    logging.getLogger("modelwire.test").info("once")
    assert len(_json_lines(capsys.readouterr().err)) == 1


def test_level_filters(capsys):
    logs.configure("json", "WARNING")
    log = logging.getLogger("modelwire.test")
    log.info("hidden")
    log.warning("shown")
    assert [r["message"] for r in _json_lines(capsys.readouterr().err)] == ["shown"]


def test_environment_variables_are_read(monkeypatch, capsys):
    monkeypatch.setenv(logs.FORMAT_ENV, "text")
    monkeypatch.setenv(logs.LEVEL_ENV, "debug")
    logs.configure()
    logging.getLogger("modelwire.test").debug("details")
    line = capsys.readouterr().err.strip()
    assert line.endswith("DEBUG    modelwire.test: details")


def test_default_is_json_off_a_terminal_and_text_on_one(monkeypatch):
    class Tty:
        def __init__(self, tty: bool):
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    monkeypatch.setenv(logs.FORMAT_ENV, "")  # empty counts as unset, as in a copied .env.example
    monkeypatch.setattr("sys.stderr", Tty(False))
    assert logs.resolve_format() == "json"
    monkeypatch.setattr("sys.stderr", Tty(True))
    assert logs.resolve_format() == "text"


def test_health_probe_access_logs_are_quiet_at_info():
    logs.configure("json", "INFO")
    assert not logging.getLogger("aiohttp.access").isEnabledFor(logging.INFO)
    logs.configure("json", "DEBUG")
    assert logging.getLogger("aiohttp.access").isEnabledFor(logging.DEBUG)


@pytest.mark.parametrize("variable, value", [(logs.FORMAT_ENV, "xml"), (logs.LEVEL_ENV, "loud")])
def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as excinfo:
        logs.configure()
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.startswith(variable) and repr(value) in message


def test_a_bad_argument_leaves_logging_untouched():
    before = logging.getLogger().handlers[:]
    with pytest.raises(ValueError):
        logs.configure("json", "loud")
    assert logging.getLogger().handlers == before
