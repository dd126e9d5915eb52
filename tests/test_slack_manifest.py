"""The Slack manifest asks for exactly what the app uses; bad settings stop start-up with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from adapters.slack.shortcuts import ASK_SHORTCUT

ROOT = Path(__file__).resolve().parent.parent
MODELWIRE = Path(sys.executable).parent / "modelwire"


def test_manifest_scopes_events_and_command():
    manifest = yaml.safe_load((ROOT / "adapters" / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    # channels/groups:history: finding a digest posted before a crash; users:read: who may subscribe a channel;
    # files:write: uploading the charts of comparisons and leaderboards; im:read: conversations.info on a DM,
    # which tells the person's own IM with the bot (digest rights there)
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == ["app_mentions:read", "channels:history",
                                                                 "chat:write", "commands", "files:write",
                                                                 "groups:history", "im:history", "im:read",
                                                                 "users:read"]
    assert sorted(manifest["settings"]["event_subscriptions"]["bot_events"]) == ["app_home_opened", "app_mention",
                                                                                 "message.im"]
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/modelwire"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    # the Home tab, and the message shortcut the app listens for
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["shortcuts"] == [{"name": "Ask modelwire", "type": "message",
                                                  "callback_id": ASK_SHORTCUT,
                                                  "description": "Answer this message's question in its thread"}]


@pytest.mark.parametrize("env, variable", [
    ({}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_MODE": "http"}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_MODE": "carrier-pigeon", "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_MODE"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_MODE": "http", "SLACK_SIGNING_SECRET": "0123456789",
      "SLACK_PORT": "eighty"}, "SLACK_PORT"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
])
def test_bad_configuration_stops_with_one_line(tmp_path, env, variable):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MODELWIRE_"))}
    result = subprocess.run([str(MODELWIRE), "--db", f"sqlite:///{tmp_path / 'kb.db'}", "slack"],
                            env=clean | env | {"HOME": str(tmp_path)}, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr
    assert "Traceback" not in result.stderr
