"""The deployment files agree with the code: they parse, run only processes and commands that exist, deploy every
process, stay within the partition count, and set only settings that the code reads and docs/configuration.md
explains. Every list here is derived from the code, so the checks follow new processes and settings."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from aduan.cli import parser
from aduan.kernel.config import Settings
from aduan.kernel.topics import Topics
from aduan.runtime.processes import PROCESSES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose" / "docker-compose.yml"
K8S = DEPLOY / "k8s"
CONFIGURATION = ROOT / "docs" / "configuration.md"
CODE_FOLDERS = ["aduan", "streams", "channels", "projections", "schemas", "portal"]
PROCESS_NAMES = {process.name for process in PROCESSES}
VARIABLE = re.compile(r"\bADUAN_[A-Z0-9_]*[A-Z0-9]\b")
TEMPLATE = re.compile(r"\b(ADUAN_[A-Z0-9_]*_)\{")


def documents(path: Path) -> list[Any]:
    """The YAML documents of a file (empty ones left out)."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def compose() -> dict[str, Any]:
    return documents(COMPOSE)[0]


def k8s(kind: str) -> list[dict[str, Any]]:
    """Every Kubernetes object of ``kind`` in deploy/k8s (examples included)."""
    return [doc for path in sorted(K8S.rglob("*.yaml")) for doc in documents(path) if doc.get("kind") == kind]


def configmap() -> dict[str, str]:
    (config,) = [doc for doc in k8s("ConfigMap") if doc["metadata"]["name"] == "aduan-config"]
    return config["data"]


def aduan_services() -> dict[str, dict[str, Any]]:
    """The compose services that run the aduan image."""
    return {name: service for name, service in compose()["services"].items()
            if "aduan" in str(service.get("image", ""))}


def aduan_containers() -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, container) for every container of the aduan image in deploy/k8s."""
    for kind in ("Deployment", "Job"):
        for doc in k8s(kind):
            spec = doc["spec"]["template"]["spec"]
            for container in spec.get("initContainers", []) + spec["containers"]:
                if container["image"].split(":")[0] == "aduan":
                    yield f"{kind} {doc['metadata']['name']}/{container['name']}", container


def invocations() -> list[tuple[str, list[str]]]:
    """(where, arguments after ``aduan``) for every aduan command the deploy files run."""
    found: list[tuple[str, list[str]]] = []
    for name, service in aduan_services().items():
        command = service.get("command", [])
        if service.get("entrypoint") == ["/bin/sh", "-c"]:
            for part in " ".join(command).split("&&"):
                words = shlex.split(part)
                assert words[0] == "aduan", f"compose service {name} runs {part!r}, not an aduan command"
                found.append((f"compose {name}", words[1:]))
        elif command:
            found.append((f"compose {name}", list(command)))
        test = service.get("healthcheck", {}).get("test", [])
        if "aduan" in test:
            found.append((f"compose {name} healthcheck", test[test.index("aduan") + 1:]))
    for where, container in aduan_containers():
        found.append((where, container["args"]))
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            command = container.get(probe, {}).get("exec", {}).get("command", [])
            if command:
                assert command[0] == "aduan", f"{where} {probe} runs {command[0]!r}, not aduan"
                found.append((f"{where} {probe}", command[1:]))
    return found


def test_every_deploy_file_parses():
    files = sorted(DEPLOY.rglob("*.y*ml")) + sorted(DEPLOY.rglob("*.json"))
    assert len(files) >= 10
    for path in files:
        if path.suffix == ".json":
            assert isinstance(json.loads(path.read_text()), dict), path
        else:
            assert documents(path), f"{path} has no YAML document"


def test_every_aduan_run_names_a_process_and_every_command_parses():
    runs = set()
    for where, args in invocations():
        if args[:1] == ["run"]:
            assert args[1] in PROCESS_NAMES, f"{where} runs {args[1]!r}: not in aduan.runtime.processes.PROCESSES"
            runs.add(args[1])
        try:
            parser().parse_args(args)
        except SystemExit:
            pytest.fail(f"{where}: `aduan {' '.join(args)}` is not a valid aduan command")
    assert runs, "no `aduan run NAME` found in the deploy files"


def test_every_process_is_deployed_in_compose_and_kubernetes_and_scraped():
    compose_runs = {args[1] for where, args in invocations() if where.startswith("compose") and args[:1] == ["run"]}
    k8s_runs = {args[1] for where, args in invocations() if where.startswith("Deployment") and args[:1] == ["run"]}
    scraped = {name for sd in documents(DEPLOY / "prometheus" / "prometheus.yml")[0]["scrape_configs"][0]
               ["dns_sd_configs"] for name in sd["names"]}
    for name in sorted(PROCESS_NAMES):
        assert name in compose_runs, f"process {name} has no service in {COMPOSE.relative_to(ROOT)}: add one"
        assert name in k8s_runs, f"process {name} has no Deployment in deploy/k8s/processes.yaml: add one"
        assert name in scraped, f"process {name} is not scraped by deploy/prometheus/prometheus.yml: add it"


def test_prometheus_scrapes_each_compose_process_on_the_port_it_serves_metrics_on():
    env = compose()["x-aduan-env"]
    ports = {name: int(port) for sd in documents(DEPLOY / "prometheus" / "prometheus.yml")[0]["scrape_configs"][0]
             ["dns_sd_configs"] for name, port in ((n, sd["port"]) for n in sd["names"])}
    for name, service in aduan_services().items():
        if service.get("command", [None])[0] == "run":
            metrics_port = int(service.get("environment", env).get("ADUAN_METRICS_PORT", env["ADUAN_METRICS_PORT"]))
            assert ports[name] == metrics_port, f"{name} serves /metrics on {metrics_port}, scraped on {ports[name]}"


def test_no_process_gets_more_replicas_than_partitions():
    partitions = int(compose()["x-aduan-env"]["ADUAN_PARTITIONS"])
    for name, service in aduan_services().items():
        replicas = service.get("deploy", {}).get("replicas", 1)
        assert replicas <= partitions, f"compose {name}: {replicas} replicas for {partitions} partitions"
    partitions = int(configmap()["ADUAN_PARTITIONS"])
    for doc in k8s("Deployment"):
        assert doc["spec"]["replicas"] <= partitions, f"Deployment {doc['metadata']['name']}: too many replicas"


def test_every_stream_processor_runs_more_than_one_replica_somewhere():
    replicas = {doc["metadata"]["name"]: doc["spec"]["replicas"] for doc in k8s("Deployment")}
    scaled = {name for name, count in replicas.items() if count > 1}
    assert scaled >= {"channels-http", "intake", "lifecycle"} & PROCESS_NAMES


def _variables_in_code() -> tuple[set[str], set[str]]:
    """(variables, template prefixes such as ``ADUAN_SENDER_``) named anywhere in the code."""
    names: set[str] = set()
    templates: set[str] = set()
    for folder in CODE_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            names |= set(VARIABLE.findall(text))
            templates |= set(TEMPLATE.findall(text))
    # ADUAN_SENDER_SMS in a docstring is an instance of the template ADUAN_SENDER_{channel}
    return {n for n in names if not any(n.startswith(t) for t in templates)} - {t.rstrip("_") for t in templates}, \
        templates


def _variables_set_by_deploy_files() -> dict[str, str]:
    """Every environment variable the deploy files give an aduan process, with where."""
    found: dict[str, str] = {name: "compose x-aduan-env" for name in compose()["x-aduan-env"]}
    for name, service in aduan_services().items():
        found.update({variable: f"compose {name}" for variable in service.get("environment", {})})
    found.update({name: "deploy/k8s/config.yaml" for name in configmap()})
    found.update({name: "deploy/k8s/secret.example.yaml" for doc in k8s("Secret") for name in doc["stringData"]})
    for where, container in aduan_containers():
        found.update({variable["name"]: where for variable in container.get("env", [])})
    return found


def test_every_variable_the_deploy_files_set_is_read_by_the_code_and_documented():
    names, templates = _variables_in_code()
    documented = CONFIGURATION.read_text()
    for name, where in sorted(_variables_set_by_deploy_files().items()):
        assert f"`{name}`" in documented, f"{where} sets {name}, which docs/configuration.md does not explain"
        if name.startswith("ADUAN_"):
            template = next((t for t in templates if name.startswith(t)), None)
            assert name in names or template, f"{where} sets {name}, which no code reads"


def test_every_variable_the_code_reads_is_documented():
    names, templates = _variables_in_code()
    documented = CONFIGURATION.read_text()
    missing = [m for m in sorted({f"`{n}`" for n in names} | {f"`{t}<" for t in templates}) if m not in documented]
    assert not missing, f"add to docs/configuration.md (with the default): {', '.join(missing)}"


def test_documented_defaults_match_the_settings():
    rows = {}
    for line in CONFIGURATION.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`ADUAN_"):
            rows[cells[0].strip("`")] = cells[1]
    defaults = Settings().to_env()
    defaults.pop("ADUAN_HOME")  # depends on the user; documented in words
    for name, value in defaults.items():
        assert name in rows, f"docs/configuration.md has no row for {name}"
        assert rows[name] == f"`{value}`", f"docs/configuration.md says {name} defaults to {rows[name]}, code: {value}"


def test_k8s_configmap_and_secret_hold_every_setting():
    configured = set(configmap())
    (secret,) = k8s("Secret")
    configured |= set(secret["stringData"])
    everything = Settings(kafka_bootstrap="k", database_url="d", sealing_key="s", agency_signing_secret="a").to_env()
    missing = set(everything) - configured
    assert not missing, f"deploy/k8s/config.yaml or secret.example.yaml lacks {sorted(missing)}"
    assert not set(configmap()) & set(secret["stringData"]), "a setting is both in the ConfigMap and the Secret"


def test_k8s_topics_are_the_shared_topics_replicated_three_times_with_two_in_sync():
    settings = Settings(partitions=int(configmap()["ADUAN_PARTITIONS"]))
    expected = {spec.name: spec for spec in Topics(configmap()["ADUAN_TOPIC_PREFIX"]).shared(settings)}
    declared = {doc["spec"]["topicName"]: doc["spec"] for doc in k8s("KafkaTopic")}
    assert set(declared) == set(expected)
    for name, spec in declared.items():
        assert spec["partitions"] == expected[name].partitions, name
        assert spec["replicas"] == 3 and spec["config"]["min.insync.replicas"] == "2", name
        assert spec["config"].items() >= expected[name].configs.items(), name
    assert declared[Topics(configmap()["ADUAN_TOPIC_PREFIX"]).complaint_events]["config"]["retention.ms"] == "-1"
    (kafka,) = k8s("Kafka")
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    assert int(configmap()["ADUAN_REPLICATION_FACTOR"]) == 3


def test_compose_kafka_is_three_kraft_nodes_with_two_in_sync_replicas():
    services = compose()["services"]
    nodes = {name: service for name, service in services.items() if str(service.get("image", "")).startswith("apache/kafka")}
    assert len(nodes) == 3
    for name, node in nodes.items():
        env = node["environment"]
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller", name
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == 2 and env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 3, name
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].count("@") == 3, name
    assert compose()["x-aduan-env"]["ADUAN_REPLICATION_FACTOR"] == "3"


def test_every_k8s_container_has_resources_and_every_process_has_probes_on_declared_ports():
    for where, container in aduan_containers():
        resources = container.get("resources", {})
        assert resources.get("requests") and resources.get("limits"), f"{where} has no requests/limits"
        if not where.startswith("Deployment"):
            continue
        ports = {port["name"] for port in container["ports"]}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if "exec" in container[probe]:  # an `aduan health` command, checked with the other commands
                continue
            check = container[probe]["httpGet"]
            assert check["path"] in ("/metrics", "/healthz"), f"{where} {probe}"
            assert check["port"] in ports, f"{where} {probe} uses port {check['port']}, not one of {ports}"


def test_the_init_steps_create_topics_then_migrate():
    init = [args for where, args in invocations() if "init" in where]
    assert ["topics", "ensure"] in init and ["migrate"] in init
    assert init.index(["topics", "ensure"]) < init.index(["migrate"])
    processes = [s for s in aduan_services().values() if s.get("command", [None])[0] == "run"]
    assert all(s["depends_on"]["init"]["condition"] == "service_completed_successfully" for s in processes)


def test_grafana_provisioning_points_at_the_dashboard_and_its_data_source():
    dashboard = json.loads((DEPLOY / "grafana" / "aduan.json").read_text())
    (source,) = documents(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")[0]["datasources"]
    variable = next(v for v in dashboard["templating"]["list"] if v["name"] == "datasource")
    assert variable["current"]["value"] == source["uid"]
    (provider,) = documents(DEPLOY / "grafana" / "provisioning" / "dashboards" / "aduan.yml")[0]["providers"]
    mounts = [volume for volume in compose()["services"]["grafana"]["volumes"] if "aduan.json" in volume]
    assert mounts and mounts[0].split(":")[1].startswith(provider["options"]["path"])
