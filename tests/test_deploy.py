"""The deployment files agree with the app: deploy/k8s/ (Kubernetes), deploy/haproxy.cfg.template
(one machine, ``make classroom WORKERS=N``) and deploy/Dockerfile.

No cluster here: the manifests are parsed (PyYAML) and checked against what the code itself says --
every ``CLASSROOM_*``/``PORT`` setting the code reads is set in the pods (and nothing else is), the
values pass the server's own checks, the probes ask routes the app answers without the class code,
and the Ingress and the HAProxy template agree on the affinity cookie, the health route, the
websocket timeout and the ports.
"""
from __future__ import annotations

import ast
import ipaddress
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from helpers.apps import workers

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
SETTING = re.compile(r"(CLASSROOM_[A-Z0-9_]+|PORT)")
KINDS = {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "Ingress", "NetworkPolicy",
         "PodDisruptionBudget"}


def _manifests() -> dict[str, dict]:
    """Every document of deploy/k8s/*.yaml but the kustomization, by kind (one of each here)."""
    found: dict[str, dict] = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            assert doc and {"apiVersion", "kind", "metadata"} <= set(doc), path.name
            assert doc["kind"] not in found, f"two {doc['kind']}s"
            found[doc["kind"]] = doc | {"_file": path.name}
    return found


@pytest.fixture(scope="module")
def k8s() -> dict[str, dict]:
    return _manifests()


def _container(k8s) -> dict:
    (container,) = k8s["Deployment"]["spec"]["template"]["spec"]["containers"]
    return container


def _haproxy() -> str:
    return workers.haproxy_config("127.0.0.1", workers.DEFAULT_PORT, [("w1", 40001), ("w2", 40002)],
                                  "/run/haproxy.sock")


def _haproxy_setting(text: str, pattern: str) -> str:
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"HAProxy's configuration has no line like {pattern!r}"
    return match.group(1)


def settings_read_by_the_code() -> set[str]:
    """Every setting's name that helpers/ or scripts/classroom.py looks up: a string constant that is
    a whole ``CLASSROOM_*``/``PORT`` name, given first to a call (``os.environ.get(name)``,
    ``_minutes(name, 3)``) or used as an index (``os.environ[name]``)."""
    def named(node) -> str | None:
        ok = isinstance(node, ast.Constant) and isinstance(node.value, str) and SETTING.fullmatch(node.value)
        return node.value if ok else None

    names = set()
    for path in [*sorted((ROOT / "helpers").rglob("*.py")), ROOT / "scripts" / "classroom.py"]:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and node.args and named(node.args[0]):
                names.add(node.args[0].value)
            elif isinstance(node, ast.Subscript) and named(node.slice):
                names.add(node.slice.value)
    return names


def test_every_manifest_parses_and_the_kustomization_lists_each_once(k8s):
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(files)
    assert set(k8s) == KINDS
    namespace = k8s["Namespace"]["metadata"]["name"]
    assert kustomization["namespace"] == namespace
    assert all("namespace" not in doc["metadata"] for doc in k8s.values())  # the kustomization sets it


def test_every_setting_the_code_reads_is_set_in_the_pods_and_nothing_else(k8s):
    read = settings_read_by_the_code()
    assert {"PORT", "CLASSROOM_HOST", "CLASSROOM_CODE", "CLASSROOM_MAX_STUDENTS"} <= read  # the scan works
    container = _container(k8s)
    config = k8s["ConfigMap"]["data"]
    assert [ref["configMapRef"]["name"] for ref in container["envFrom"]] == [k8s["ConfigMap"]["metadata"]["name"]]
    env = {e["name"]: e for e in container["env"]}
    given = [*config, *env]
    assert len(given) == len(set(given)), "a setting is given twice"
    assert {n for n in given if SETTING.fullmatch(n)} == read
    # the class code comes from the Secret, never from the ConfigMap
    ref = env["CLASSROOM_CODE"]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == k8s["Secret"]["metadata"]["name"] and ref["key"] in k8s["Secret"]["stringData"]
    # a Service named "classroom" would otherwise add CLASSROOM_PORT=tcp://... and other variables
    assert k8s["Deployment"]["spec"]["template"]["spec"]["enableServiceLinks"] is False


def test_the_settings_pass_the_servers_own_checks(k8s, monkeypatch):
    from helpers import available_models
    from helpers.apps import server

    config = k8s["ConfigMap"]["data"]
    for name, value in config.items():
        monkeypatch.setenv(name, value)
    assert not server.is_loopback(config["CLASSROOM_HOST"])  # so the class code is required
    assert server.listen_address(config["CLASSROOM_HOST"], config["CLASSROOM_LISTEN"]) == "0.0.0.0"
    assert workers.processes(config["CLASSROOM_PROCESSES"], haproxy=None) == 1  # no proxy inside a pod
    assert int(config["PORT"]) == workers.DEFAULT_PORT
    for name in ("CLASSROOM_IDLE_MINUTES", "CLASSROOM_CULL_MINUTES"):
        assert server._minutes(name, 1.0) == float(config[name])
    assert server.max_students() == int(config["CLASSROOM_MAX_STUDENTS"]) >= 1
    assert int(config["CLASSROOM_WORKERS"]) >= 1 and int(config["CLASSROOM_TABS_PER_BROWSER"]) >= 1
    assert float(config["CLASSROOM_MAX_UPLOAD_MB"]) > 0
    assert config["CLASSROOM_MODEL"] in available_models()
    networks = [ipaddress.ip_network(n.strip()) for n in config["CLASSROOM_TRUSTED_PROXY"].split(",")]
    assert networks and all(n.is_private for n in networks)  # the cluster's own network, never the world


def test_the_placeholder_class_code_cannot_open_a_classroom(k8s):
    from helpers.apps.guard import ClassCodeMiddleware

    placeholder = k8s["Secret"]["stringData"]["CLASSROOM_CODE"]
    with pytest.raises(ValueError, match="at least 8 characters"):
        ClassCodeMiddleware(None, placeholder)  # a forgotten secret is a failed rollout, not an open class


def _probe_answers(paths) -> dict:
    """Ask the app itself, built as a pod builds it (beyond loopback, a class code), in a fresh Python
    (building it configures Solara for the whole process): status of each path without the code."""
    script = textwrap.dedent(f"""
        import json, warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from starlette.testclient import TestClient
        from helpers.apps.server import build_app
        client = TestClient(build_app("0.0.0.0", "deploy-test-code-1234"))
        answers = {{p: client.get(p, headers={{"Host": "10.1.2.3:8765"}}).status_code for p in {sorted(paths)!r}}}
        answers["/"] = client.get("/", headers={{"Host": "10.1.2.3:8765"}}).status_code
        print(json.dumps(answers))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_probes_ask_routes_the_app_answers_without_the_class_code(k8s):
    container = _container(k8s)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    paths = set()
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["port"] in ports, probe
        paths.add(get["path"])
    health = _haproxy_setting(_haproxy(), r"^\s*http-check send meth GET uri (\S+)")
    assert paths == {health} == {workers.HEALTH_PATH}  # the proxy checks what Kubernetes probes
    answers = _probe_answers(paths)
    assert answers.pop("/") == 403, "the app answered a page without the class code"
    assert answers == {path: 200 for path in paths}


def test_the_ingress_and_haproxy_agree_on_affinity_timeouts_and_ports(k8s):
    text = _haproxy()
    notes = k8s["Ingress"]["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    cookie = _haproxy_setting(text, r"^\s*cookie (\S+) insert indirect nocache httponly")
    assert notes[prefix + "affinity"] == "cookie" and notes[prefix + "session-cookie-name"] == cookie
    assert cookie == workers.AFFINITY_COOKIE
    samesite = _haproxy_setting(text, r'^\s*cookie .* attr "SameSite=(\w+)"')
    assert notes[prefix + "session-cookie-samesite"] == samesite
    assert notes[prefix + "affinity-mode"] == "persistent"  # a pinned tab stays pinned when pods are added
    assert re.search(r"^\s*option redispatch", text, re.MULTILINE)  # a dead worker's browsers move ...
    assert notes[prefix + "session-cookie-change-on-failure"] == "true"  # ... on both
    tunnel = _haproxy_setting(text, r"^\s*timeout tunnel (\d+)s")
    assert int(notes[prefix + "proxy-read-timeout"]) == int(notes[prefix + "proxy-send-timeout"]) == int(tunnel)

    # ports: Ingress -> Service -> container -> PORT, the same number HAProxy's classroom listens on
    service, container = k8s["Service"], _container(k8s)
    (rule,) = k8s["Ingress"]["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    backend = path["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    (port,) = service["spec"]["ports"]
    assert backend["port"]["name"] == port["name"]
    (container_port,) = container["ports"]
    assert port["targetPort"] == container_port["name"]
    assert container_port["containerPort"] == port["port"] == int(k8s["ConfigMap"]["data"]["PORT"])
    assert int(_haproxy_setting(text, r"^\s*bind \S+:(\d+)")) == port["port"] == workers.DEFAULT_PORT
    (allowed,) = k8s["NetworkPolicy"]["spec"]["ingress"]
    assert [p["port"] for p in allowed["ports"]] == [container_port["containerPort"]]
    assert k8s["NetworkPolicy"]["spec"]["egress"] == []  # nothing leaves the pods

    labels = k8s["Deployment"]["spec"]["template"]["metadata"]["labels"]
    for selector in (k8s["Deployment"]["spec"]["selector"]["matchLabels"], service["spec"]["selector"],
                     k8s["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"],
                     k8s["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= labels.items()


def _mebibytes(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024}
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity).groups()
    return float(number) * units[unit]


def test_memory_is_sized_from_the_measurements(k8s):
    resources = _container(k8s)["resources"]
    assert _mebibytes(resources["requests"]["memory"]) == workers.MB_PER_WORKER  # what a worker keeps free
    assert _mebibytes(resources["limits"]["memory"]) == 2048  # the target per process
    assert resources["requests"]["cpu"] == "1"  # one core per process, as on one machine
    assert k8s["Deployment"]["spec"]["replicas"] >= 2 and k8s["Deployment"]["spec"]["strategy"][
        "rollingUpdate"]["maxUnavailable"] == 0


def test_the_pods_write_nothing_and_run_unprivileged(k8s):
    spec = k8s["Deployment"]["spec"]["template"]["spec"]
    container = _container(k8s)
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["automountServiceAccountToken"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert mounts == {"/tmp"} and {e["value"] for e in container["env"] if "value" in e} <= {"/tmp", "/tmp/matplotlib"}


def test_the_image_runs_the_launcher_on_the_manifests_port(k8s):
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"^EXPOSE (\d+)$", dockerfile, re.MULTILINE).group(1) == k8s["ConfigMap"]["data"]["PORT"]
    assert 'CMD ["python", "scripts/classroom.py"]' in dockerfile and "CLASSROOM_PROCESSES=1" in dockerfile
    image = _container(k8s)["image"]
    assert f"-t {image} ." in dockerfile  # the build command it documents makes the image the pods run
    copied = re.findall(r"^COPY (.+) \S+$", dockerfile, re.MULTILINE)
    for sources in copied:
        for source in sources.split():
            assert (ROOT / source).exists(), source
    ignore = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().split()
    for sources in copied:
        for source in sources.split():
            assert f"!{source}" in ignore, f"{source} is copied but left out of the build context"


def test_the_guide_names_every_file_it_deploys():
    guide = (ROOT / "docs" / "deploying.md").read_text()
    for path in [*K8S.glob("*.yaml"), ROOT / "deploy" / "haproxy.cfg.template", ROOT / "deploy" / "Dockerfile"]:
        assert path.name in guide, path.name
