"""deploy/compose and deploy/k8s: structure and least-privilege ACLs (no servers needed).

Schema validation proper is done by deploy/ops-check.sh: kubeconform (Kubernetes + Strimzi
schemas, offline) and compose-go. These tests check what schemas cannot: that the files agree
with the code, the catalogue and each other.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from rujukan_platform.kafka import KafkaSecurity

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "deploy" / "compose"
K8S = REPO / "deploy" / "k8s"
SERVICES = {
    "intake": ("rujukan_intake", 8001, "intake"),
    "program-registry": ("rujukan_registry", 8002, "registry"),
    "referral-router": ("rujukan_router", 8003, "router"),
    "notifications": ("rujukan_notifications", 8004, "notifications"),
}
#: the officers' pages: a database (its sessions), no Kafka
WORKBENCH = {"workbench": ("rujukan_workbench", 8000, "workbench")}


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOPICS = load(K8S / "build_topics.py", "build_topics")


def k8s_docs() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.rglob("*.yaml")):
        if "schemas" in path.parts:
            continue
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in k8s_docs() if d["kind"] == kind]


def consumer_names() -> set[str]:
    names = set()
    for path in (REPO / "services").rglob("consumers.py"):
        names |= set(re.findall(r'\.consumer\(\s*"([a-z0-9-]+)"', path.read_text()))
    return names


# -- compose --------------------------------------------------------------------------------------
def compose() -> dict[str, Any]:
    return yaml.safe_load((COMPOSE / "docker-compose.yml").read_text())


def test_compose_has_the_whole_platform() -> None:
    services = compose()["services"]
    assert set(services) >= {
        "kafka",
        "postgres",
        "smtp",
        "topics",
        "migrate",
        "seed",
        *SERVICES,
        "prometheus",
        "grafana",
    }
    assert services["kafka"]["image"] == "apache/kafka:4.1.1"
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]  # KRaft
    assert services["postgres"]["image"].startswith("postgres:15")


def test_compose_long_running_services_have_healthchecks_and_ordering() -> None:
    services = compose()["services"]
    one_shot = {"topics", "migrate", "seed"}
    for name, svc in services.items():
        if name not in one_shot:
            assert "healthcheck" in svc, name
    for name, (pkg, port, _db) in SERVICES.items():
        svc = services[name]
        assert svc["command"] == ["python", "-m", pkg, "serve"]
        assert f"{port}/readyz" in " ".join(svc["healthcheck"]["test"])
        deps = svc["depends_on"]
        assert deps["kafka"]["condition"] == "service_healthy"
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["topics"]["condition"] == "service_completed_successfully"
        assert svc["build"]["dockerfile"] == "deploy/compose/Dockerfile"
    for job in one_shot:
        assert all(c.get("condition") for c in services[job]["depends_on"].values())


def test_compose_databases_match_the_services() -> None:
    sql = (COMPOSE / "postgres" / "init-databases.sql").read_text()
    with_databases = SERVICES | WORKBENCH
    assert set(re.findall(r"CREATE DATABASE (\w+)", sql)) == {
        d for _p, _n, d in with_databases.values()
    }
    migrate = compose()["services"]["migrate"]["command"][-1]
    for pkg, _port, _db in with_databases.values():
        assert f"python -m {pkg} migrate" in migrate


def test_compose_mounts_exist_and_targets_match() -> None:
    for svc in compose()["services"].values():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE / source).exists(), source
    targets = yaml.safe_load((COMPOSE / "prometheus-targets" / "compose.yml").read_text())
    assert {t["labels"]["service"]: t["targets"][0] for t in targets} == {
        name: f"{name}:{port}" for name, (_pkg, port, _db) in (SERVICES | WORKBENCH).items()
    }


def test_the_workbench_is_deployed_without_kafka_and_with_keys_of_its_own() -> None:
    """In compose and in Kubernetes: served on 8000, migrated like the services, pointed at
    the services' APIs, holding no Kafka credential and its own keys in its own Secret."""
    services = compose()["services"]
    assert services["workbench"]["command"] == ["python", "-m", "rujukan_workbench", "serve"]
    assert services["workbench"]["environment"]["RUJUKAN_WORKBENCH_INTAKE_URL"] == (
        "http://intake:8001"
    )
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    (container,) = deployments["workbench"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert not any("KAFKA" in name for name in env)
    for name, (_pkg, port, _db) in SERVICES.items():
        short = {"program-registry": "REGISTRY", "referral-router": "ROUTER"}.get(name, name)
        assert env[f"RUJUKAN_WORKBENCH_{short.upper()}_URL"] == f"http://{name}.rujukan.svc:{port}"
    refs = {e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e}
    assert "rujukan-workbench-secrets" in refs
    assert "workbench-migrate" in {j["metadata"]["name"] for j in of_kind("Job")}


def test_dockerfile_installs_from_the_lock() -> None:
    text = (COMPOSE / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in text and "COPY pyproject.toml uv.lock" in text
    assert "--no-editable" not in text  # migrations/ and seed/ are found beside the sources
    assert re.search(r"^USER \d+", text, re.M)


# -- kubernetes -----------------------------------------------------------------------------------
def test_every_service_has_a_deployment_and_service_with_probes_and_resources() -> None:
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    services = {d["metadata"]["name"]: d for d in of_kind("Service")}
    for name, (_pkg, port, _db) in SERVICES.items():
        assert name in deployments and name in services, name
        assert services[name]["spec"]["ports"][0]["port"] == port
    for name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        res = container["resources"]
        assert res["requests"]["cpu"] and res["requests"]["memory"], name
        assert res["limits"]["cpu"] and res["limits"]["memory"], name
        assert (
            dep["spec"]["selector"]["matchLabels"].items()
            <= dep["spec"]["template"]["metadata"]["labels"].items()
        )
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert env["RUJUKAN_PORT"] == str(container["ports"][0]["containerPort"])
        for consumer in (env.get("RUJUKAN_RUN_CONSUMERS") or "").split(","):
            assert not consumer or consumer in consumer_names(), (name, consumer)


def test_router_and_notifications_scale_by_replicas() -> None:
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    hpas = {d["spec"]["scaleTargetRef"]["name"]: d for d in of_kind("HorizontalPodAutoscaler")}
    partitions = {t["topic"]: t["partitions"] for t in catalogue_entries()}
    for worker, topic in (
        ("referral-router-intakes", "intake.submitted"),
        ("notifications-status", "referrals.status"),
    ):
        assert deployments[worker]["spec"]["replicas"] >= 2
        assert hpas[worker]["spec"]["maxReplicas"] <= partitions[topic], worker
    # every consumer of the router and notifications runs somewhere
    for service, wanted in (
        ("referral-router", {"router-intakes", "router-outcomes"}),
        ("notifications", {"notifications-contacts", "notifications-status"}),
    ):
        running = set()
        for dep in deployments.values():
            (container,) = dep["spec"]["template"]["spec"]["containers"]
            if container["name"] == service:
                env = {e["name"]: e.get("value") for e in container.get("env", [])}
                running |= set(env.get("RUJUKAN_RUN_CONSUMERS", "").split(","))
        assert running == wanted, service


def test_settings_keys_are_real_settings() -> None:
    fields = set()
    for path in [
        REPO / "libs/platform/src/rujukan_platform/settings.py",
        *(REPO / "services").glob("*/src/*/settings.py"),
    ]:
        fields |= set(re.findall(r"^    ([a-z_]+): ", path.read_text(), re.M))
    # the Kafka clients' security (RUJUKAN_KAFKA_...)
    fields |= {f"kafka_{f}" for f in KafkaSecurity.model_fields}
    prefixes = (
        "RUJUKAN_INTAKE_",
        "RUJUKAN_NOTIFICATIONS_",
        "RUJUKAN_ROUTER_",
        "RUJUKAN_WORKBENCH_",
        "RUJUKAN_",
    )
    docs = [*of_kind("ConfigMap"), *of_kind("Secret")]
    assert len(docs) == 5  # the settings, the shared secrets, intake's, notifications' and
    # the workbench's own
    for doc in docs:
        for key in doc.get("data", doc.get("stringData", {})):
            field = next(key.removeprefix(p) for p in prefixes if key.startswith(p)).lower()
            assert field in fields, key


def test_every_pod_that_talks_to_kafka_logs_in_over_tls_and_trusts_the_cluster_ca() -> None:
    """The Deployments log in to Strimzi's TLS listener with their KafkaUser's password: the
    ConfigMap says SASL_SSL and where the CA file is, and every pod with Kafka credentials
    mounts the cluster CA Strimzi keeps there (without the protocol the credentials were set
    and ignored: the clients spoke PLAINTEXT)."""
    settings = of_kind("ConfigMap")[0]["data"]
    assert settings["RUJUKAN_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    ca_file = Path(settings["RUJUKAN_KAFKA_SSL_CAFILE"])
    kafka_pods = 0
    for deployment in of_kind("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod["containers"]:
            env = {e["name"] for e in container.get("env", [])}
            if "RUJUKAN_KAFKA_SASL_USERNAME" not in env:
                continue
            kafka_pods += 1
            assert "RUJUKAN_KAFKA_SASL_PASSWORD" in env, deployment["metadata"]["name"]
            mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
            mount = mounts[str(ca_file.parent)]
            secret = volumes[mount["name"]]["secret"]
            assert secret["secretName"] == "rujukan-cluster-ca-cert"
            assert {"key": "ca.crt", "path": ca_file.name} in secret["items"]
    assert kafka_pods == 6  # intake, registry, the router's two, notifications' two


def test_a_service_s_own_keys_are_mounted_in_its_pods_only() -> None:
    """The key that opens residents' names is intake's, the one that opens contacts
    notifications': each in its own Secret, referenced by that service's workloads alone."""
    own = {
        "rujukan-intake-secrets": "intake",
        "rujukan-notifications-secrets": "notifications",
        "rujukan-workbench-secrets": "workbench",
    }
    secrets = {s["metadata"]["name"]: s for s in of_kind("Secret")}
    assert own.keys() <= secrets.keys()
    assert not any(
        "DATA_KEY" in k or "PII_KEY" in k for k in secrets["rujukan-secrets"]["stringData"]
    )
    for workload in [*of_kind("Deployment"), *of_kind("Job")]:
        name = workload["metadata"]["name"]
        service = workload["metadata"]["labels"]["app.kubernetes.io/name"]
        needs_keys = workload["kind"] == "Deployment" or name.endswith("-migrate")
        for container in workload["spec"]["template"]["spec"]["containers"]:
            env_from = container.get("envFrom", [])
            refs = {e["secretRef"]["name"] for e in env_from if "secretRef" in e}
            for secret, owner in own.items():
                if secret in refs:
                    assert service == owner, (name, secret)  # nobody else holds the key
                elif service == owner:
                    assert not needs_keys, (name, secret)  # the owner's pods and migration do


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {
        str(p.relative_to(K8S))
        for p in K8S.rglob("*.yaml")
        if "schemas" not in p.parts and p.name != "kustomization.yaml"
    }
    assert set(kustomization["resources"]) == files


def catalogue_entries() -> list[dict[str, Any]]:
    """The topic catalogue as its files say, read here rather than through the generator."""
    folder = REPO / "contracts" / "src" / "rujukan_contracts" / "topics"
    return [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]


# -- Strimzi topics and users ---------------------------------------------------------------------
def test_kafka_resources_are_generated() -> None:
    for name, text in TOPICS.render().items():
        assert (K8S / "kafka" / name).read_text() == text, "re-run deploy/k8s/build_topics.py"


def test_every_catalogue_topic_and_program_topic_exists() -> None:
    topics = {t["spec"]["topicName"]: t for t in of_kind("KafkaTopic")}
    codes = [p["code"] for p in TOPICS.load_programs()]
    for entry in catalogue_entries():
        names = (
            [entry["topic"].format(program_code=c) for c in codes]
            if "{" in entry["topic"]
            else [entry["topic"]]
        )
        for name in names:
            assert topics[name]["spec"]["partitions"] == entry["partitions"], name
            for key, value in entry.get("config", {}).items():
                if key != "min.insync.replicas":
                    assert topics[name]["spec"]["config"][key] == str(value)
            if entry.get("dlq", True):  # a program's outcomes too (its referrals: none)
                assert f"{name}.dlq" in topics
            else:
                assert f"{name}.dlq" not in topics
    assert all(t["metadata"]["labels"]["strimzi.io/cluster"] == "rujukan" for t in topics.values())


def acl_map(user: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """operation -> {(resource type, name)} (prefix patterns marked with a trailing *)."""
    out: dict[str, set[tuple[str, str]]] = {}
    for acl in user["spec"]["authorization"]["acls"]:
        res = acl["resource"]
        name = res["name"] + ("*" if res.get("patternType") == "prefix" else "")
        for op in acl["operations"]:
            out.setdefault(op, set()).add((res["type"], name))
    return out


def test_each_agency_reads_only_its_own_topic_and_writes_only_its_own_outcomes() -> None:
    users = {u["metadata"]["name"]: u for u in of_kind("KafkaUser")}
    codes = [p["code"] for p in TOPICS.load_programs()]
    for code in codes:
        acls = acl_map(users[f"agency-{code.lower()}"])
        assert acls["Read"] == {
            ("topic", f"referrals.{code}"),
            ("topic", f"referrals.{code}.outcomes.dlq"),  # its refused outcomes, with reasons
            ("group", f"agency-{code.lower()}.*"),
        }
        assert acls["Write"] == {("topic", f"referrals.{code}.outcomes")}
        assert set(acls) == {"Read", "Write", "Describe"}
        assert all(not name.endswith("*") for t, name in acls["Describe"] | acls["Write"])


def test_operators_may_revoke_tokens_and_nothing_more() -> None:
    """On Kubernetes only the operators' user may write ``auth.revocations`` (``token revoke``):
    without it no token could be revoked there; it may not read or write anything else."""
    users = {u["metadata"]["name"]: u for u in of_kind("KafkaUser")}
    acls = acl_map(users["rujukan-operators"])
    assert acls == {
        "Write": {("topic", "auth.revocations")},
        "Describe": {("topic", "auth.revocations")},
    }
    writers = [
        name
        for name, user in users.items()
        if ("topic", "auth.revocations") in acl_map(user).get("Write", set())
    ]
    assert writers == ["rujukan-operators"]


def test_service_users_follow_the_catalogue_exactly() -> None:
    """Recomputed here from the catalogue, independently of the generator's code."""
    users = {u["metadata"]["name"]: u for u in of_kind("KafkaUser")}
    codes = [p["code"] for p in TOPICS.load_programs()]
    expected: dict[str, dict[str, set[str]]] = {
        s: {"Read": set(), "Write": set()} for s in SERVICES
    }
    for entry in catalogue_entries():
        template = "{" in entry["topic"]
        names = (
            [entry["topic"].format(program_code=c) for c in codes] if template else [entry["topic"]]
        )
        for name in names:
            for p in entry["producers"]:
                if p.split(" (")[0] in expected:
                    expected[p.split(" (")[0]]["Write"].add(name)
            for c in (c.split(" (")[0] for c in entry["consumers"]):
                if c in expected:
                    expected[c]["Read"].add(name)
                    if entry.get("dlq", True):
                        expected[c]["Write"].add(f"{name}.dlq")
    for service, ops in expected.items():
        acls = acl_map(users[service])
        assert {n for t, n in acls.get("Read", set()) if t == "topic"} == ops["Read"], service
        assert {n for t, n in acls.get("Write", set()) if t == "topic"} == ops["Write"], service
        assert {n for t, n in acls.get("Describe", set())} == ops["Read"] | ops["Write"], service
        assert "All" not in acls and "Create" not in acls and "Delete" not in acls
