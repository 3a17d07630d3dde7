"""The deployment files agree with each other and with the code: Procfile, docker-compose.yml,
Dockerfile, requirements, app.yaml and Procfile.apps (Databricks Apps); and the local
warehouse's address is one setting."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from honcho.environ import parse_procfile

from common.testing import database_url
from project.supervisor import GRACE_SECONDS
from warehouse.local.address import DEFAULT_URL, port_of
from warehouse.local.testing import LocalWarehouseProcess

ROOT = Path(__file__).resolve().parents[2]
# Options a container adds to a Procfile command: it listens on every interface of its own.
CONTAINER_ONLY = {"warehouse": ["--host=0.0.0.0"]}
# What Databricks Apps adds: the platform's port, and a graceful stop within the supervisor's.
APPS_ONLY = {"web": ["--bind", "0.0.0.0:$DATABRICKS_APP_PORT", "--graceful-timeout"]}
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def procfile(name: str) -> dict[str, str]:
    return dict(parse_procfile((ROOT / name).read_text()).processes)


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def app_yaml() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "app.yaml").read_text()))


def with_defaults(text: str) -> str:
    """``${NAME:-default}`` replaced by its default, as an empty environment expands it."""
    return _DEFAULTED.sub(lambda match: match.group(2), text)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- Procfile, docker-compose.yml, Dockerfile ---------------------------------------------------


def test_every_procfile_process_is_a_compose_service_with_the_same_command() -> None:
    """make run and compose run the same programs with the same arguments (a container adds only
    where it listens), so a change to one that the other lacks fails here."""
    services = compose()["services"]
    for name, command in procfile("Procfile").items():
        assert name in services, f"the Procfile's {name} is not a compose service"
        argv = [with_defaults(part) for part in services[name]["command"]]
        for option in CONTAINER_ONLY.get(name, []):
            argv.remove(option)
        assert argv == shlex.split(with_defaults(command)), name


def test_only_the_local_warehouse_is_built_with_its_dependencies() -> None:
    """The local warehouse is the one service in its own profile and image (target local-warehouse);
    the others use the production image, and nothing waits for the warehouse."""
    services = compose()["services"]
    app_services = {name: s for name, s in services.items() if "build" in s}
    assert app_services["warehouse"]["build"]["target"] == "local-warehouse"
    assert app_services["warehouse"]["profiles"] == ["local-warehouse"]
    for name, service in app_services.items():
        assert "warehouse" not in service.get("depends_on", {}), name
        if name != "warehouse":
            assert service["build"]["target"] == "production" and "profiles" not in service, name
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = [
        (name, parent) for parent, name in re.findall(r"^FROM (\S+) AS (\S+)$", dockerfile, re.MULTILINE)
    ]
    # production last: a plain `docker build .` makes it.
    assert stages == [("base", "python:3.11-slim"), ("local-warehouse", "base"), ("production", "base")]
    production = dockerfile.split("AS production", 1)[1]
    base, warehouse = dockerfile.split("AS local-warehouse", 1)
    assert "pip install" not in production and "FROM" not in production
    assert re.findall(r"pip install -r (\S+)", base) == ["requirements/base.txt"]
    assert re.findall(r"pip install -r (\S+)", warehouse) == ["requirements/local-warehouse.txt"]


def requirement_names(name: str) -> set[str]:
    lines = (ROOT / name).read_text().splitlines()
    return {
        re.split(r"[\[=<>]", line)[0].lower() for line in lines if line and not line.startswith(("#", "-r"))
    }


def test_the_production_requirements_leave_out_duckdb_and_sqlglot() -> None:
    """base.txt (the production image, Databricks Apps' requirements.txt) has neither; the local
    warehouse's file has both; dev.txt includes both files."""
    local_only = {"duckdb", "sqlglot"}
    assert not local_only & requirement_names("requirements/base.txt")
    assert local_only <= requirement_names("requirements/local-warehouse.txt")
    dev = (ROOT / "requirements/dev.txt").read_text()
    assert "-r base.txt" in dev and "-r local-warehouse.txt" in dev
    assert [
        line for line in (ROOT / "requirements.txt").read_text().splitlines() if not line.startswith("#")
    ] == ["-r requirements/base.txt"]


def test_the_web_and_the_workers_import_neither_duckdb_nor_sqlglot() -> None:
    """Every URL's view, every task and the healthcheck load without the local warehouse's engine,
    so the production image can leave it out."""
    script = (
        "import sys, django; django.setup(); import project.urls, project.wsgi;"
        " from project.celery import app; app.loader.import_default_modules();"
        " import project.health;"
        " print(sorted(m for m in ('duckdb', 'sqlglot', 'warehouse.local.engine') if m in sys.modules))"
    )
    result = subprocess.run(  # noqa: S603 (our interpreter, our script)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def compose_client() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:  # noqa: S603
        return [docker, "compose"]
    return None


@pytest.mark.parametrize(
    "profile", [[], ["--profile", "local-warehouse"]], ids=["default", "local-warehouse"]
)
def test_docker_compose_config_accepts_the_file(profile: list[str]) -> None:
    """A compose client (Debian's docker-compose, or docker compose) validates the file, with and
    without the local warehouse's profile; it needs no Docker engine."""
    client = compose_client()
    if client is None:
        pytest.skip("no compose client here (apt-get install docker-compose, or the docker compose plugin)")
    env = {**os.environ, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    result = subprocess.run(  # noqa: S603 (a compose client found on PATH)
        [*client, "-f", str(ROOT / "docker-compose.yml"), *profile, "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


# --- Databricks Apps: app.yaml and Procfile.apps -------------------------------------------------


def test_the_apps_procfile_runs_the_procfile_but_the_local_warehouse() -> None:
    """Procfile.apps runs every process of the Procfile except the local warehouse, with the same
    commands; the web adds the platform's port and ends its requests before the supervisor's SIGKILL."""
    local = procfile("Procfile")
    apps = procfile("Procfile.apps")
    assert set(apps) == set(local) - {"warehouse"}
    for name, command in apps.items():
        argv = shlex.split(command)
        added = APPS_ONLY.get(name, [])
        if added:
            graceful = argv.pop(argv.index("--graceful-timeout") + 1)
            assert 0 < int(graceful) < GRACE_SECONDS
            for option in added:
                argv.remove(option)
        assert argv == shlex.split(local[name]), name


def test_app_yaml_names_the_resources_and_settings_the_service_reads() -> None:
    """app.yaml's command migrates, collects the static files and runs Procfile.apps; every
    variable it sets is a setting the service reads, the secrets and the warehouse come from the
    app's resources (valueFrom), and the proxy's identity is trusted."""
    config = app_yaml()
    assert set(config) == {"command", "env"}
    shell, flag, script = config["command"]
    assert (shell, flag) == ("sh", "-c")
    assert [step.strip() for step in script.split("&&")] == [
        "python manage.py migrate --noinput",
        "python manage.py collectstatic --noinput -v 0",
        "exec python -m project.supervisor Procfile.apps",
    ]
    settings_source = (ROOT / "project" / "settings.py").read_text()
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for entry in config["env"]:
        name = entry["name"]
        assert set(entry) in ({"name", "value"}, {"name", "valueFrom"}), entry
        assert name not in values and name not in sources, f"{name} is set twice"
        assert f'"{name}"' in settings_source, f"{name} is not a setting of project/settings.py"
        if "value" in entry:
            assert isinstance(entry["value"], str), f"{name}: quote the value (Apps takes strings)"
            values[name] = entry["value"]
        else:
            sources[name] = entry["valueFrom"]
    assert sources == {
        "DATABRICKS_WAREHOUSE_ID": "sql-warehouse",
        "DATABASE_URL": "database-url",
        "DJANGO_SECRET_KEY": "django-secret-key",
    }
    assert values["DJANGO_DEBUG"] == "false" and values["RECORDS_TRUST_APPS_PROXY"] == "true"
    assert values["DJANGO_SECURE_SSL_REDIRECT"] == "false"  # the proxy terminates TLS
    assert "localhost" in values["DJANGO_ALLOWED_HOSTS"].split(",")


def wait_for_http(url: str, timeout: float) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a local URL)
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_the_apps_command_serves_on_the_platform_port_and_stops_within_15_seconds(
    django_db_setup: None, local_warehouse: LocalWarehouseProcess, tmp_path: Path
) -> None:
    """app.yaml's command, with its environment (and stand-ins for its resources): the web answers
    a healthy healthcheck on DATABRICKS_APP_PORT; on SIGTERM every process stops gracefully (no
    SIGKILL) well within the 15 s the platform gives."""
    from django.db import connection

    port = free_port()
    env = {
        **os.environ,
        **{entry["name"]: entry["value"] for entry in app_yaml()["env"] if "value" in entry},
        "DATABRICKS_APP_PORT": str(port),
        "DATABRICKS_WAREHOUSE_ID": "",
        "DATABASE_URL": database_url(connection.settings_dict),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
        "CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        # Fewer processes and threads than production: this machine runs the test suite too.
        "GUNICORN_WORKERS": "1",
        "CELERY_WORKER_CONCURRENCY": "2",
    }
    # The app's folder: the repository's code, and a var/ of its own (beat's schedule file).
    for name in (
        "manage.py",
        "Procfile.apps",
        "project",
        "common",
        "access",
        "records",
        "audit",
        "warehouse",
    ):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "var").mkdir()
    log_path = tmp_path / "app.log"
    with log_path.open("wb") as log:
        app = subprocess.Popen(  # noqa: S603 (app.yaml's command)
            app_yaml()["command"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        status, body = wait_for_http(f"http://127.0.0.1:{port}/api/v1/healthcheck", timeout=120)
        assert status == 200, body
        assert b'"healthy"' in body
        deadline = time.monotonic() + 60
        while b" ready." not in log_path.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.2)
        started = time.monotonic()
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=15)
        stopped_after = time.monotonic() - started
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    output = log_path.read_text(errors="replace")
    assert stopped_after < 15, output
    assert "SIGKILL" not in output, output
    for name in ("web", "worker", "periodic", "beat"):
        assert f"{name} stopped (exit code " in output, output


# --- One address for the local warehouse ---------------------------------------------------------


def test_the_local_warehouse_port_is_the_urls() -> None:
    """The port comes from LOCAL_WAREHOUSE_URL (80/443 by scheme when it names none); a URL that is
    not http(s) with a host and a path is refused."""
    assert port_of(DEFAULT_URL) == 8765
    assert port_of("https://warehouse.internal/sql/1.0/warehouses/local") == 443
    assert port_of("http://10.0.0.5/sql") == 80
    for bad in ("127.0.0.1:8765/sql", "http://127.0.0.1:8765", "ftp://h:1/x", "http://h:99999/x"):
        with pytest.raises(ValueError, match="must be http"):
            port_of(bad)


def test_make_run_starts_the_warehouse_on_the_settings_port() -> None:
    """The Procfile's warehouse names no port of its own: runwarehouse takes LOCAL_WAREHOUSE_URL's."""
    assert "--port" not in procfile("Procfile")["warehouse"]


def test_runwarehouse_listens_where_local_warehouse_url_points(tmp_path: Path) -> None:
    """``manage.py runwarehouse`` with no --port listens on the port of LOCAL_WAREHOUSE_URL
    (the environment's, or .env's), where every client of the service connects."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/sql/1.0/warehouses/local"
    env = {**os.environ, "LOCAL_WAREHOUSE_URL": url, "LOCAL_WAREHOUSE_TOKEN": "t" * 20}
    warehouse = subprocess.Popen(  # noqa: S603 (our interpreter and manage.py)
        [sys.executable, "manage.py", "runwarehouse", "--data-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = warehouse.stdout.readline() if warehouse.stdout else ""
        assert line.strip() == f"local warehouse listening on {url}"
        status, _ = wait_for_http(f"http://127.0.0.1:{port}/health", timeout=10)
        assert status == 200
    finally:
        warehouse.terminate()
        warehouse.wait(timeout=30)


def manage(*args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our interpreter and manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_malformed_url_stops_the_local_warehouse_but_not_the_service(tmp_path: Path) -> None:
    """runwarehouse refuses a LOCAL_WAREHOUSE_URL that is no URL, naming it; the other processes
    start (with a real warehouse configured the URL is not used; readiness reports it otherwise)."""
    assert manage("check", LOCAL_WAREHOUSE_URL="http//oops").returncode == 0
    result = manage("runwarehouse", "--data-dir", str(tmp_path), LOCAL_WAREHOUSE_URL="http//oops")
    assert result.returncode != 0
    assert "LOCAL_WAREHOUSE_URL must be http(s)://host[:port]/path, not 'http//oops'" in result.stderr


def test_the_retired_port_setting_stops_start_up() -> None:
    """LOCAL_WAREHOUSE_PORT, which used to name the port beside the URL, is refused loudly rather
    than silently disagreeing with LOCAL_WAREHOUSE_URL."""
    result = manage("check", LOCAL_WAREHOUSE_PORT="9999")
    assert result.returncode != 0
    assert "LOCAL_WAREHOUSE_PORT is no longer read" in result.stderr
