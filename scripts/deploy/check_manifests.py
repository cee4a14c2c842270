#!/usr/bin/env python3
"""Validates rendered Kubernetes manifests (kustomize build output).

  check_manifests.py NAME=RENDERED.yaml... --kubernetes 1.31.0 [--kubernetes 1.37.0]

Every object of a built-in kind is validated strictly (unknown fields refused) against the
schemas of each Kubernetes version given, with kubernetes-validate. Custom resources
(monitoring.coreos.com: the ServiceMonitor) have no schema there: they are skipped by name
and their shape is checked below instead. Then what a schema cannot see: the probes, ports
and settings agree with each other and with the service's own settings, every container is
locked down and bounded, the pod drains before it is killed, the selectors select the pods,
the migration Job runs `switchboard migrate`, and images are pinned.
"""

import argparse
import re
import sys
from pathlib import Path

import kubernetes_validate
import yaml

from common import ROOT, problem, problems, report, subcommands

CUSTOM_GROUPS = {"monitoring.coreos.com"}
SECRET = "switchboard-secrets"

def validate_schemas(name: str, objects: list[dict], versions: list[str]) -> None:
    for obj in objects:
        if obj["apiVersion"].split("/")[0] in CUSTOM_GROUPS:
            continue
        for version in versions:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as err:
                at = ".".join(str(p) for p in err.absolute_path)
                problem(f"{obj['kind']}/{obj['metadata']['name']}", f"Kubernetes {version}: {at}: {err.message}")
            except kubernetes_validate.SchemaNotFoundError:
                problem(f"{obj['kind']}/{obj['metadata']['name']}", f"Kubernetes {version} has no {obj['apiVersion']} {obj['kind']}")


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def port_of(addr: str) -> int:
    return int(addr.rsplit(":", 1)[1])


def setting_default(name: str) -> str:
    """A setting's default, from the configuration reference (generated from the code's
    settings list, and checked against it by `cargo test`)."""
    doc = (ROOT / "docs/operations.md").read_text()
    row = re.search(rf"^\| `{name}` \| `([^`]*)` \|", doc, re.M)
    if not row:
        raise SystemExit(f"docs/operations.md has no default for {name}")
    return row.group(1)


def gateway_default(field: str) -> int:
    config = (ROOT / "gateway/config.go").read_text()
    return int(re.search(rf"{field}:\s+(\d+) \* time.Second", config).group(1))


def config_data(objects: list[dict], ref: str) -> dict:
    for cm in of_kind(objects, "ConfigMap"):
        if cm["metadata"]["name"] == ref:
            return cm.get("data", {})
    problem("ConfigMap", f"{ref} is referenced but not rendered")
    return {}


def env_of(objects: list[dict], container: dict) -> dict:
    env = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_data(objects, source["configMapRef"]["name"]))
    env.update({e["name"]: e.get("value", "") for e in container.get("env", [])})
    return env


def secret_refs(container: dict) -> set[str]:
    return {s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s}


def check_locked_down(where: str, pod: dict) -> None:
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        problem(where, "the pod must run as non-root (securityContext.runAsNonRoot)")
    for c in pod["containers"]:
        at = f"{where} container {c['name']}"
        sc = c.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False or sc.get("readOnlyRootFilesystem") is not True:
            problem(at, "needs allowPrivilegeEscalation: false and readOnlyRootFilesystem: true")
        if sc.get("capabilities", {}).get("drop") != ["ALL"]:
            problem(at, "must drop ALL capabilities")
        for bound in ("requests", "limits"):
            if set(c.get("resources", {}).get(bound, {})) != {"cpu", "memory"}:
                problem(at, f"needs cpu and memory {bound}")
        for ref in secret_refs(c) - {SECRET}:
            problem(at, f"secrets come from the Secret {SECRET}, not {ref}")


def container_ports(pod: dict) -> dict:
    return {p["name"]: p["containerPort"] for c in pod["containers"] for p in c.get("ports", [])}


def probe_port(probe: dict, ports: dict):
    for kind in ("grpc", "httpGet", "tcpSocket"):
        if kind in probe:
            port = probe[kind]["port"]
            return kind, ports.get(port, port), probe[kind].get("path")
    return None, None, None


def check_deployment(objects: list[dict], subcommands: set[str]) -> dict:
    deployment = of_kind(objects, "Deployment")[0]
    where = f"Deployment/{deployment['metadata']['name']}"
    pod = deployment["spec"]["template"]["spec"]
    check_locked_down(where, pod)
    ports = container_ports(pod)
    containers = {c["name"]: c for c in pod["containers"]}
    service, gateway = containers.get("switchboard"), containers.get("gateway")
    if not service or not gateway:
        problem(where, "needs the containers switchboard and gateway (the sidecar)")
        return deployment
    if service.get("args", [""])[0] not in subcommands:
        problem(where, f"switchboard runs {service.get('args')}, not a subcommand of src/main.rs")
    env, gw_env = env_of(objects, service), env_of(objects, gateway)
    if SECRET not in secret_refs(service) or secret_refs(gateway):
        problem(where, f"the service (alone) takes its secrets from the Secret {SECRET}")
    # The listeners the settings open are the ports the pod declares.
    for setting, port_name in [("SWITCHBOARD_GRPC_ADDR", "grpc"), ("SWITCHBOARD_HTTP_ADDR", "http"), ("SWITCHBOARD_ADMIN_ADDR", "admin")]:
        if setting not in env or port_of(env[setting]) != ports.get(port_name):
            problem(where, f"{setting}={env.get(setting)} is not the container port {port_name} ({ports.get(port_name)})")
    for setting, port_name in [("SWITCHBOARD_GATEWAY_ADDR", "gateway"), ("SWITCHBOARD_GATEWAY_ADMIN_ADDR", "gateway-admin")]:
        if setting not in gw_env or port_of(gw_env[setting]) != ports.get(port_name):
            problem(where, f"{setting}={gw_env.get(setting)} is not the container port {port_name}")
    if port_of(gw_env.get("SWITCHBOARD_GATEWAY_UPSTREAM", ":0")) != ports.get("grpc"):
        problem(where, "the gateway's SWITCHBOARD_GATEWAY_UPSTREAM is not the service's gRPC port")
    # Probes: gRPC health to start and stay alive, /readyz (Postgres) for readiness, both on
    # the service's own ports; the gateway's /healthz (the upstream's health) for readiness.
    expected = {
        ("switchboard", "startupProbe"): ("grpc", ports.get("grpc"), None),
        ("switchboard", "livenessProbe"): ("grpc", ports.get("grpc"), None),
        ("switchboard", "readinessProbe"): ("httpGet", ports.get("admin"), "/readyz"),
        ("gateway", "readinessProbe"): ("httpGet", ports.get("gateway-admin"), "/healthz"),
    }
    for (name, probe), want in expected.items():
        got = probe_port(containers[name].get(probe, {}), ports)
        if got != want:
            problem(where, f"{name} {probe} is {got}, expected {want}")
    if "livenessProbe" not in gateway:
        problem(where, "the gateway needs a livenessProbe")
    # The pod drains before the kubelet kills it.
    drain = max(
        int(env.get("SWITCHBOARD_REQUEST_TIMEOUT_SECS", setting_default("SWITCHBOARD_REQUEST_TIMEOUT_SECS"))),
        int(env.get("SLACK_REQUEST_TIMEOUT_MS", setting_default("SLACK_REQUEST_TIMEOUT_MS"))) // 1000,
        gateway_default("ShutdownTimeout"),
    )
    pause = max(c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0) for c in pod["containers"])
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace <= pause + drain:
        problem(where, f"terminationGracePeriodSeconds {grace} must exceed the preStop pause ({pause} s) plus the drain ({drain} s)")
    return deployment


def check_selectors(objects: list[dict], deployment: dict) -> None:
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    pod = deployment["spec"]["template"]["spec"]
    ports = container_ports(pod)
    if not selects(deployment["spec"]["selector"]["matchLabels"], pod_labels):
        problem("Deployment", "its selector does not select its pods")
    for svc in of_kind(objects, "Service"):
        if not selects(svc["spec"]["selector"], pod_labels):
            problem(f"Service/{svc['metadata']['name']}", "selects no pod of the Deployment")
        for port in svc["spec"]["ports"]:
            if port["targetPort"] not in ports:
                problem(f"Service/{svc['metadata']['name']}", f"targetPort {port['targetPort']} is no container port")
    for pdb in of_kind(objects, "PodDisruptionBudget"):
        if not selects(pdb["spec"]["selector"]["matchLabels"], pod_labels):
            problem("PodDisruptionBudget", "selects no pod of the Deployment")
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        spec = hpa["spec"]
        if spec["scaleTargetRef"]["name"] != deployment["metadata"]["name"]:
            problem("HorizontalPodAutoscaler", "does not scale the Deployment")
        if not 1 <= spec["minReplicas"] <= spec["maxReplicas"]:
            problem("HorizontalPodAutoscaler", "needs 1 <= minReplicas <= maxReplicas")
    if "replicas" in deployment["spec"] and of_kind(objects, "HorizontalPodAutoscaler"):
        problem("Deployment", "sets replicas while an HPA scales it (each apply would reset the count)")
    jobs = of_kind(objects, "Job")
    for policy in of_kind(objects, "NetworkPolicy"):
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        for labels in [pod_labels] + [j["spec"]["template"]["metadata"]["labels"] for j in jobs]:
            if not selects(selector, labels):
                problem("NetworkPolicy", f"does not select the pods labelled {labels}")
        for rule in policy["spec"].get("ingress", []):
            for port in rule.get("ports", []):
                if isinstance(port["port"], str) and port["port"] not in ports:
                    problem("NetworkPolicy", f"port {port['port']} is no container port")


def check_job(objects: list[dict], deployment: dict, subcommands: set[str]) -> None:
    jobs = of_kind(objects, "Job")
    if len(jobs) != 1:
        problem("Job", "expected one migration Job")
        return
    pod = jobs[0]["spec"]["template"]["spec"]
    check_locked_down("Job", pod)
    container = pod["containers"][0]
    if container.get("args") != ["migrate"] or "migrate" not in subcommands:
        problem("Job", f"runs {container.get('args')}, not `switchboard migrate`")
    service = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "switchboard")
    if container["image"] != service["image"]:
        problem("Job", f"migrates with {container['image']}, the Deployment runs {service['image']}")
    if SECRET not in secret_refs(container):
        problem("Job", f"needs DATABASE_URL from the Secret {SECRET}")


def check_service_monitor(objects: list[dict], deployment: dict) -> None:
    """The ServiceMonitor's shape (no schema for it): it selects one Service of ours, and
    each endpoint scrapes /metrics on a port of it that leads to an admin port."""
    monitors = of_kind(objects, "ServiceMonitor")
    if len(monitors) != 1 or monitors[0]["apiVersion"] != "monitoring.coreos.com/v1":
        problem("ServiceMonitor", "expected one monitoring.coreos.com/v1 ServiceMonitor")
        return
    spec = monitors[0]["spec"]
    unknown = set(spec) - {"selector", "endpoints", "namespaceSelector", "jobLabel"}
    if unknown:
        problem("ServiceMonitor", f"unknown spec fields {sorted(unknown)}")
    matched = [s for s in of_kind(objects, "Service") if selects(spec["selector"]["matchLabels"], s["metadata"].get("labels", {}))]
    if len(matched) != 1:
        problem("ServiceMonitor", f"selects {len(matched)} Services, expected one")
        return
    service_ports = {p["name"]: p["targetPort"] for p in matched[0]["spec"]["ports"]}
    if not spec.get("endpoints"):
        problem("ServiceMonitor", "has no endpoints")
    for endpoint in spec.get("endpoints", []):
        unknown = set(endpoint) - {"port", "path", "interval", "scrapeTimeout", "scheme", "honorLabels"}
        if unknown:
            problem("ServiceMonitor", f"unknown endpoint fields {sorted(unknown)}")
        if endpoint.get("path") != "/metrics" or not re.fullmatch(r"\d+[smh]", endpoint.get("interval", "")):
            problem("ServiceMonitor", f"endpoint {endpoint} needs path /metrics and an interval such as 30s")
        if service_ports.get(endpoint.get("port")) not in ("admin", "gateway-admin"):
            problem("ServiceMonitor", f"port {endpoint.get('port')} does not lead to an admin port")


def check_images(name: str, objects: list[dict]) -> None:
    for obj in of_kind(objects, "Deployment") + of_kind(objects, "Job"):
        for c in obj["spec"]["template"]["spec"]["containers"]:
            tag = c["image"].rsplit("/", 1)[-1].partition(":")[2]
            if not tag or tag == "latest":
                problem(name, f"{obj['kind']} container {c['name']} runs {c['image']}: pin a released tag")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("rendered", nargs="+", help="NAME=FILE of a kustomize build")
    parser.add_argument("--kubernetes", action="append", required=True)
    args = parser.parse_args()
    commands = subcommands()
    for item in args.rendered:
        name, _, path = item.partition("=")
        before = len(problems)
        objects = [o for o in yaml.safe_load_all(Path(path).read_text()) if o]
        validate_schemas(name, objects, args.kubernetes)
        if not of_kind(objects, "Secret") == []:
            problem(name, "a Secret is rendered: secrets are never committed")
        deployment = check_deployment(objects, commands)
        check_selectors(objects, deployment)
        check_job(objects, deployment, commands)
        check_service_monitor(objects, deployment)
        check_images(name, objects)
        problems[before:] = [f"{name}: {p}" for p in problems[before:]]
        if len(problems) == before:
            print(f"kubernetes: {name}: {len(objects)} objects valid for Kubernetes {', '.join(args.kubernetes)}")
    return report("kubernetes", "every object valid")


if __name__ == "__main__":
    sys.exit(main())
