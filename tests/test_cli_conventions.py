"""The command-line conventions of ``modelwire``: ``--db`` after the sub-command, ``ask --strict``,
``--json`` on the listing commands, the ``.env`` file and shell completion.

Exit codes, ``.env`` and completion run the installed console script in a subprocess (in ``tmp_path``,
with a private environment); the rest invoke the click command with CliRunner. Where a database is
involved the test runs on SQLite and PostgreSQL (``db_url``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli

MODELWIRE = Path(sys.executable).parent / "modelwire"
TIMEOUT = 60
KNOWN_Q = "What did Muse Spark score on GPQA Diamond?"
UNKNOWN_Q = "What did GPT-5.9 score on GPQA?"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without database or ``.env`` settings, with a private data directory."""
    dropped = ("MODELWIRE_DATABASE_URL", "MODELWIRE_ENV_FILE", "PYTHONUNBUFFERED")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    env["PYTHONIOENCODING"] = "utf-8"
    return env | extra


def run(tmp_path: Path, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """Run ``modelwire ARGS`` in ``tmp_path`` to completion (text, UTF-8)."""
    return subprocess.run([str(MODELWIRE), *args], input=stdin, capture_output=True, text=True, encoding="utf-8",
                          env=_env(tmp_path, **env), timeout=TIMEOUT, cwd=tmp_path)


def invoke(*args: str) -> tuple[int, str, str]:
    """``modelwire ARGS`` through CliRunner: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def stats_json(db_url: str, *before: str) -> dict:
    code, out, err = invoke(*before, "kb", "stats", "--json", *([] if before else ["--db", db_url]))
    assert code == 0, err
    return json.loads(out)


# -- --db after the sub-command -------------------------------------------------------------------


def test_db_after_the_sub_command_opens_that_database(db_url):
    code, out, err = invoke("kb", "stats", "--db", db_url)

    assert code == 0, err
    assert "pack muse-spark-launch (bundled" in out


def test_db_after_the_sub_command_wins_over_the_one_before(tmp_path):
    before, after = tmp_path / "before.db", tmp_path / "after.db"

    code, _, err = invoke("--db", f"sqlite:///{before}", "db", "upgrade", "--db", f"sqlite:///{after}")

    assert code == 0, err
    assert after.exists() and not before.exists()


def test_db_before_the_sub_command_still_works(tmp_path):
    path = tmp_path / "kb.db"

    code, _, err = invoke("--db", f"sqlite:///{path}", "ask", KNOWN_Q)

    assert code == 0, err
    assert path.exists()


def test_db_is_an_option_of_adapter_and_nested_commands():
    for args in (["ask"], ["digest", "status"], ["subscriptions"], ["kb", "import"], ["db", "upgrade"]):
        code, out, err = invoke(*args, "--help")
        assert code == 0, err
        assert "--db URL" in out, args
    code, out, _ = invoke("kb", "schema", "--help")
    assert "--db" not in out


# -- ask --strict -----------------------------------------------------------------------------------


def test_strict_exits_1_when_the_answer_is_not_known(tmp_path, db_url):
    unknown = run(tmp_path, "ask", "--strict", "--db", db_url, UNKNOWN_Q)
    known = run(tmp_path, "ask", "--strict", "--db", db_url, KNOWN_Q)

    assert unknown.returncode == 1, unknown.stderr
    assert unknown.stdout.strip() and unknown.stderr == ""
    assert known.returncode == 0, known.stderr
    assert "89.5%" in known.stdout


def test_without_strict_an_unknown_answer_exits_0(tmp_path):
    result = run(tmp_path, "--db", f"sqlite:///{tmp_path / 'kb.db'}", "ask", "--json", UNKNOWN_Q)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["found"] is False


def test_strict_with_stdin_answers_every_line_then_exits_1_if_any_was_not_known(tmp_path, db_url):
    mixed = run(tmp_path, "ask", "--strict", "--json", "--db", db_url, "-", stdin=f"{UNKNOWN_Q}\n{KNOWN_Q}\n")
    all_known = run(tmp_path, "ask", "--strict", "--json", "--db", db_url, "-", stdin=f"{KNOWN_Q}\n{KNOWN_Q}\n")

    assert mixed.returncode == 1, mixed.stderr
    answers = [json.loads(line) for line in mixed.stdout.splitlines()]
    assert [(a["question"], a["found"]) for a in answers] == [(UNKNOWN_Q, False), (KNOWN_Q, True)]
    assert all_known.returncode == 0, all_known.stderr
    assert len(all_known.stdout.splitlines()) == 2


# -- --json on the listing commands -----------------------------------------------------------------


def test_kb_stats_json_counts_and_packs(db_url):
    data = stats_json(db_url)

    assert set(data) == {"counts", "packs"}
    assert data["counts"]["packs"] == 1 and data["counts"]["models"] > 0
    [pack] = data["packs"]
    assert set(pack) == {"id", "title", "bundled", "imported_at"}
    assert pack["id"] == "muse-spark-launch" and pack["bundled"] is True
    assert pack["imported_at"].endswith("+00:00")
    assert stats_json(db_url, "--db", db_url) == data


def test_kb_validate_json_reports_each_file_and_exits_1_when_one_is_invalid(tmp_path, db_url):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("pack: good-one\ntitle: Good\n", encoding="utf-8")
    bad.write_text("pack: bad-one\nscores:\n  - {model: Nope, benchmark: Nope, value: 1}\n", encoding="utf-8")

    code, out, err = invoke("kb", "validate", "--json", "--db", db_url, str(good), str(bad))

    assert code == 1
    data = json.loads(out)
    assert data["valid"] is False
    assert [(f["file"], f["valid"], f["pack"]) for f in data["files"]] == [
        (str(good), True, "good-one"), (str(bad), False, None)]
    assert data["files"][0]["problem"] is None
    assert data["files"][1]["problem"] and data["files"][1]["problem"] in err

    code, out, _ = invoke("kb", "validate", "--json", "--db", db_url, str(good))
    assert code == 0 and json.loads(out)["valid"] is True


def test_subscriptions_json_lists_the_channels_subscriptions(db_url):
    code, out, err = invoke("subscriptions", "--json", "--db", db_url)
    assert code == 0, err
    assert json.loads(out) == {"channel": "console:/terminal", "subscriptions": []}

    assert invoke("subscribe", "--db", db_url, "daily", "09:00", "tz", "Europe/Paris")[0] == 0
    code, out, err = invoke("subscriptions", "--json", "--db", db_url)

    assert code == 0, err
    [sub] = json.loads(out)["subscriptions"]
    assert set(sub) == {"number", "digest", "cadence", "timezone", "active", "next", "next_due_at", "since", "by"}
    assert (sub["number"], sub["cadence"], sub["timezone"], sub["active"]) == (1, "daily", "Europe/Paris", True)
    assert "09:00" in sub["digest"] and sub["next_due_at"].endswith("+00:00")


def test_subscriptions_json_with_a_bad_channel_is_a_usage_error_on_stderr(db_url):
    code, out, err = invoke("subscriptions", "--json", "--channel", "nowhere", "--db", db_url)

    assert code == 2
    assert out == "" and "--channel" in err


def test_digest_status_json_counts_and_lists_what_was_given_up(db_url):
    from sqlalchemy import update

    from knowledge.db import make_engine, normalize_url
    from knowledge.schema import Subscription

    assert invoke("subscribe", "--db", db_url, "instant")[0] == 0
    engine = make_engine(normalize_url(db_url))
    try:
        with engine.begin() as conn:
            conn.execute(update(Subscription).values(active=False, disabled_reason="channel not found"))
    finally:
        engine.dispose()

    code, out, err = invoke("digest", "status", "--json", "--db", db_url)
    assert code == 0, err
    data = json.loads(out)
    assert data == {"counts": {"pending": 0, "sending": 0, "sent": 0, "failed": 0, "disabled": 1}, "failed": None}

    code, out, err = invoke("digest", "status", "--json", "--failed", "--db", db_url)
    assert code == 0, err
    assert json.loads(out)["failed"] == [{"platform": "console", "workspace": "", "channel": "terminal",
                                          "period": "subscription disabled", "error": "channel not found"}]


def test_json_commands_report_an_unusable_database_on_stderr(tmp_path):
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'a-file' / 'kb.db'}"
    for args in (["kb", "stats"], ["digest", "status"], ["subscriptions"]):
        code, out, err = invoke(*args, "--json", "--db", url)
        assert code == 1, args
        assert out == "" and err.startswith("Error: cannot open the knowledge base"), (args, err)


# -- .env -------------------------------------------------------------------------------------------


def test_dot_env_in_the_current_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text(f"MODELWIRE_DATABASE_URL=sqlite:///{tmp_path / 'from-env.db'}\n", encoding="utf-8")

    result = run(tmp_path, "kb", "stats")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-env.db").exists()
    assert not (tmp_path / "xdg-data").exists()


def test_the_environment_wins_over_dot_env(tmp_path):
    (tmp_path / ".env").write_text(f"MODELWIRE_DATABASE_URL=sqlite:///{tmp_path / 'from-env.db'}\n", encoding="utf-8")

    result = run(tmp_path, "kb", "stats", MODELWIRE_DATABASE_URL=f"sqlite:///{tmp_path / 'from-shell.db'}")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-shell.db").exists() and not (tmp_path / "from-env.db").exists()


def test_modelwire_env_file_names_another_file(tmp_path):
    settings = tmp_path / "settings.env"
    settings.write_text(f"MODELWIRE_DATABASE_URL=sqlite:///{tmp_path / 'named.db'}\n", encoding="utf-8")
    (tmp_path / ".env").write_text(f"MODELWIRE_DATABASE_URL=sqlite:///{tmp_path / 'default.db'}\n", encoding="utf-8")

    result = run(tmp_path, "kb", "stats", MODELWIRE_ENV_FILE=str(settings))

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "named.db").exists() and not (tmp_path / "default.db").exists()


def test_a_missing_named_env_file_is_an_error_in_one_line(tmp_path):
    result = run(tmp_path, "kb", "stats", MODELWIRE_ENV_FILE=str(tmp_path / "missing.env"))

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"Error: MODELWIRE_ENV_FILE names {tmp_path / 'missing.env'}, "
                                          "which is not a file"]


def test_without_dot_env_nothing_changes(tmp_path):
    result = run(tmp_path, "kb", "stats", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["packs"] == 1
    assert (tmp_path / "xdg-data").exists()


# -- shell completion -------------------------------------------------------------------------------


def test_the_installed_command_prints_its_completion_scripts(tmp_path):
    for shell, marker in (("bash", "complete -o nosort -F _modelwire_completion modelwire"),
                          ("zsh", "#compdef modelwire"), ("fish", "complete --no-files --command modelwire")):
        result = run(tmp_path, _MODELWIRE_COMPLETE=f"{shell}_source")
        assert result.returncode == 0, (shell, result.stderr)
        assert marker in result.stdout, (shell, result.stdout)
        assert "_MODELWIRE_COMPLETE" in result.stdout


def test_completion_offers_sub_commands_and_their_options(tmp_path):
    def complete(*words: str) -> list[str]:
        line = " ".join(("modelwire", *words))
        result = run(tmp_path, _MODELWIRE_COMPLETE="bash_complete", COMP_WORDS=line, COMP_CWORD=str(len(words)))
        assert result.returncode == 0, result.stderr
        return [item.split(",", 1)[1] for item in result.stdout.splitlines()]

    assert "stats" in complete("kb", "st")
    assert {"--json", "--db"} <= set(complete("kb", "stats", "--"))
    assert {"--strict", "--db"} <= set(complete("ask", "--"))
