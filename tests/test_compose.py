"""The deployment files keep their promises: docker-compose.yml, the Dockerfile and .env.example agree."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "slack", "discord", "scheduler")
LONG_RUNNING = ("slack", "discord", "scheduler")
SECRET_KEY = re.compile(r"TOKEN|SECRET|PASSWORD", re.I)
REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*|:?-)?\}$")
"""A bare ${VAR} (optionally ${VAR:?message} or an empty default, ${VAR:-}); a ${VAR:-default} could hide a
literal secret."""
USED_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
LITERAL_SECRETS = (re.compile(r"xox[abposr]-[A-Za-z0-9-]+"), re.compile(r"xapp-[A-Za-z0-9-]+"))
URL_PASSWORD = re.compile(r"://[^/\s:@]*:(?!\x00@)[^@\s]+@")
"""user:password@ in a URL whose password is not a reference (references masked as NUL first)."""
DOCUMENTED = ("MODELWIRE_DATABASE_URL", "MODELWIRE_LOG_FORMAT", "MODELWIRE_LOG_LEVEL", "MODELWIRE_DIGEST_SCHEDULER",
              "MODELWIRE_DIGEST_TICK_SECONDS", "MODELWIRE_DIGEST_MAX_ATTEMPTS", "MODELWIRE_HEALTH_PORT",
              "MODELWIRE_SYNC_URL", "MODELWIRE_SYNC_INTERVAL_MINUTES", "SLACK_SUBSCRIPTION_MANAGERS",
              "SLACK_BOT_TOKEN", "SLACK_MODE", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_PORT",
              "SLACK_API_URL", "DISCORD_TOKEN", "DISCORD_GUILD_ID", "DISCORD_API_URL", "DISCORD_GATEWAY_URL",
              "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def environment(service: dict) -> dict[str, str]:
    """A service's environment as a dict, whether written as a mapping or as KEY=value items."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {str(k): v for k, v in env.items()}


def env_files(service: dict) -> list[str]:
    """The env_file paths of a service (short string, list, or list of {path: ...})."""
    value = service.get("env_file") or []
    items = [value] if isinstance(value, (str, dict)) else value
    return [item["path"] if isinstance(item, dict) else item for item in items]


def env_example() -> list[tuple[str, str | None]]:
    """(variable, the line right above it) for every assignment in .env.example, commented out or not."""
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    entries = []
    for i, line in enumerate(lines):
        match = re.match(r"^(?:# )?([A-Z_][A-Z0-9_]*)=", line)
        if match:
            entries.append((match.group(1), lines[i - 1] if i else None))
    return entries


def inline_secrets(node, key: str = "") -> list[str]:
    """Where ``node`` (a loaded compose document) writes a secret inline instead of referring to one."""
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            found += inline_secrets(v, str(k))
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, str) and "=" in item and SECRET_KEY.search(item.split("=", 1)[0]):
                k, v = item.split("=", 1)
                found += inline_secrets(v, k)
            else:
                found += inline_secrets(item, key)
    elif node is not None and not isinstance(node, bool):
        text = str(node)
        if SECRET_KEY.search(key) and not REFERENCE.match(text):
            found.append(f"{key}: {text}")
        found += [f"{key}: {m.group(0)}" for p in LITERAL_SECRETS for m in p.finditer(text)]
        masked = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*|:?-)?\}", "\x00", text)
        found += [f"{key}: a password in {text}" for _ in URL_PASSWORD.finditer(masked)]
    return found


def test_every_service_has_an_image_or_a_build(services):
    assert set(services) >= {"postgres", *APP_SERVICES}
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name


def test_app_services_share_one_built_image_and_run_a_modelwire_command(services):
    commands = {"migrate": ["db", "upgrade"], "slack": ["slack"], "discord": ["discord"], "scheduler": ["scheduler"]}
    for name in APP_SERVICES:
        assert services[name]["build"] == "." and services[name]["image"] == services["slack"]["image"]
        assert services[name]["command"] == commands[name], name


SECRETS = {"postgres": {"POSTGRES_PASSWORD"}, "migrate": set(),
           "slack": {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"},
           "discord": {"DISCORD_TOKEN"}, "scheduler": {"SLACK_BOT_TOKEN", "DISCORD_TOKEN"}}
"""The secrets each service needs: the scheduler posts through the Web APIs only (bot tokens), the
migration needs none but the database URL."""
BUILT_BY_COMPOSE = {"MODELWIRE_DATABASE_URL"}


def test_no_app_service_reads_dot_env_whole(services):
    for name in APP_SERVICES:
        assert env_files(services[name]) == [], f"{name} would get every secret in .env"


def test_each_service_gets_only_its_own_secrets(services):
    for name, expected in SECRETS.items():
        env = environment(services[name])
        assert {k for k in env if SECRET_KEY.search(k)} == expected, name
        for key in expected:  # read from .env, never written here
            assert re.fullmatch(r"\$\{" + key + r"(:-|:\?[^}]*)?\}", env[key]), (name, key)


def test_every_setting_in_env_example_reaches_a_service(services):
    passed = {k for service in services.values() for k in environment(service)}
    missing = {name for name, _ in env_example()} - passed - BUILT_BY_COMPOSE
    assert missing == set(), f"add these to the environment of the services that read them: {sorted(missing)}"


def test_long_running_services_have_an_init_as_pid_1(services):
    """tini forwards SIGTERM from `docker compose stop` and reaps children; modelwire then stops cleanly."""
    for name in APP_SERVICES:
        assert services[name].get("init") is True, name


def test_a_reference_with_an_empty_default_is_not_an_inline_secret():
    assert inline_secrets({"services": {"x": {"environment": {"SLACK_BOT_TOKEN": "${SLACK_BOT_TOKEN:-}"}}}}) == []


def test_postgres_is_not_handed_the_bot_tokens(services):
    assert ".env" not in env_files(services["postgres"])
    assert not any(k.startswith(("SLACK_", "DISCORD_")) for k in environment(services["postgres"]))


def test_app_services_wait_for_a_healthy_database_and_the_migration(services):
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in LONG_RUNNING:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name


def test_restart_policies(services):
    assert services["migrate"]["restart"] == "no"  # quoted in YAML: a bare no would be a boolean
    for name in ("postgres", *LONG_RUNNING):
        assert services[name]["restart"] == "unless-stopped", name


def test_postgres_has_a_healthcheck_and_a_named_volume(compose, services):
    postgres = services["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volumes = [v.split(":")[0] for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data")]
    assert volumes and volumes[0] in (compose.get("volumes") or {})


def test_every_app_service_uses_the_compose_database(services):
    for name in APP_SERVICES:
        url = environment(services[name])["MODELWIRE_DATABASE_URL"]
        assert url.startswith("postgresql://") and "@postgres:5432/" in url, name


def test_one_dedicated_scheduler_delivers_digests_and_syncs(services):
    for name in ("slack", "discord"):
        env = environment(services[name])
        assert env["MODELWIRE_DIGEST_SCHEDULER"] == "off", name
        assert int(env.get("MODELWIRE_SYNC_INTERVAL_MINUTES", "0")) == 0, name
    assert int(environment(services["scheduler"])["MODELWIRE_SYNC_INTERVAL_MINUTES"]) > 0


def test_services_with_a_health_server_are_probed_on_it(services):
    probed = [name for name in LONG_RUNNING if environment(services[name]).get("MODELWIRE_HEALTH_PORT")]
    assert set(probed) == {"discord", "scheduler", "slack"}
    for name in probed:
        port = environment(services[name])["MODELWIRE_HEALTH_PORT"]
        test = " ".join(services[name]["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/healthz" in test and "urllib" in test, name


def test_no_secret_is_written_inline(compose):
    assert inline_secrets(compose) == []


@pytest.mark.parametrize("document", [
    {"services": {"slack": {"environment": {"SLACK_BOT_TOKEN": "xoxb-123-456-abc"}}}},
    {"services": {"slack": {"environment": ["SLACK_SIGNING_SECRET=abcdef123456"]}}},
    {"services": {"db": {"environment": {"POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:-hunter2}"}}}},
    {"services": {"bot": {"environment": {"MODELWIRE_DATABASE_URL": "postgresql://u:hunter2@db/x"}}}},
    {"services": {"bot": {"environment": {"MODELWIRE_DATABASE_URL": "postgresql://${U}:${P:-hunter2}@db/x"}}}},
    {"services": {"bot": {"command": ["slack", "--token", "xapp-1-A0-123"]}}},
])
def test_the_secret_scan_catches_inline_secrets(document):
    assert inline_secrets(document)


def strings(node) -> list[str]:
    """Every string in a loaded YAML document, keys included (comments are gone by then)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*strings(k), *strings(v))]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [node] if isinstance(node, str) else []


def test_every_compose_variable_is_documented_in_env_example(compose):
    used = {name for text in strings(compose) for name in USED_VARIABLE.findall(text)}
    assert used, "docker-compose.yml reads nothing from .env"
    assert used - {name for name, _ in env_example()} == set()


def test_env_example_documents_every_setting_with_a_comment_above_it():
    entries = env_example()
    names = [name for name, _ in entries]
    assert len(names) == len(set(names)), "a variable appears twice in .env.example"
    assert set(DOCUMENTED) <= set(names)
    for name, above in entries:
        assert above is not None and above.startswith("#") and not above.startswith("# ---"), \
            f"{name} has no comment line right above it"


def test_env_example_holds_no_secret_values():
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if re.match(r"^[A-Za-z_]\w*=", line):
            name, value = line.split("=", 1)
            if SECRET_KEY.search(name):
                assert value == "", f"{name} must be empty in .env.example"


def test_dockerfile_is_multi_stage_pinned_and_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    instructions = [line.strip() for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")]
    assert sum(line.startswith("FROM ") for line in instructions) >= 2
    assert "python:3.11-slim" in dockerfile and "COPY --from=builder /opt/venv" in dockerfile
    assert re.search(r"pip install --no-deps -r \S*requirements\.lock", dockerfile)
    assert re.search(r"pip install --no-deps \"\.\[all\]\"(\s|$)", dockerfile)
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert instructions[-2:] == ['ENTRYPOINT ["modelwire"]', 'CMD ["--help"]']


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".env", ".venv", "*.db", "**/__pycache__"} <= ignored


def test_readme_links_the_deployment_guide():
    assert "docs/deploying.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "docs" / "deploying.md").is_file()


def _compose_cli() -> list[str]:
    """The command that runs Compose v2 here, or a skip saying why there is none."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker binary, so `docker compose config` cannot be run")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip("the docker binary has no compose plugin, so `docker compose config` cannot be run")
    return [docker, "compose"]


def _project(tmp_path: Path, password: str) -> Path:
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    env = (ROOT / ".env.example").read_text(encoding="utf-8")
    (tmp_path / ".env").write_text(env.replace("\nPOSTGRES_PASSWORD=\n", f"\nPOSTGRES_PASSWORD={password}\n"))
    return tmp_path


def test_docker_compose_config_accepts_the_file(tmp_path):
    cli = _compose_cli()
    project = _project(tmp_path, "not-a-real-password")
    result = subprocess.run([*cli, "--project-directory", str(project), "config", "--format", "json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "postgresql://modelwire:not-a-real-password@postgres:5432/modelwire" in result.stdout


def test_docker_compose_refuses_to_start_without_a_database_password(tmp_path):
    cli = _compose_cli()
    project = _project(tmp_path, "")
    result = subprocess.run([*cli, "--project-directory", str(project), "config", "--quiet"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "POSTGRES_PASSWORD" in result.stderr


def env_example_values() -> dict[str, str]:
    """What `set -a; . ./.env` (or compose's env_file) sets from an unedited copy of .env.example."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, re.M))


def test_a_copied_env_example_with_tokens_filled_in_starts_slack_in_socket_mode(monkeypatch):
    from adapters.slack.settings import load_settings

    values = {**env_example_values(), "SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-A1-2-abc"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert load_settings().mode == "socket"


def test_a_copied_env_example_with_the_token_filled_in_starts_discord(monkeypatch):
    from adapters.discord.settings import load_settings

    values = {**env_example_values(), "DISCORD_TOKEN": "x" * 30}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert load_settings().guild_id is None
