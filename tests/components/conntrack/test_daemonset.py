"""The node-tuning DaemonSet spec: placement, least privilege, schema, and its loop run for real
against a stand-in sysctl directory (the kernel side rests on reasoning, not on a test)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from components import specs
from components.conntrack.daemonset import TUNING_SCRIPT, daemonset_name, node_tuning_daemonset
from policy.values import selector_matches
from tests.program.test_schema import KUBERNETES_VERSION

TOLERATIONS = [{"key": "agenttype", "operator": "Equal", "value": "client", "effect": "NoSchedule"}]


def build(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "instance": "client",
        "namespace": "cyperf",
        "node_selector": {"agenttype": "client"},
        "tolerations": TOLERATIONS,
        "conntrack_max": 450_000,
        "time_wait_seconds": 60,
    }
    arguments.update(changes)
    return node_tuning_daemonset(**arguments)


def pod_spec(daemonset: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = daemonset["spec"]["template"]["spec"]
    return spec


def env(daemonset: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in pod_spec(daemonset)["containers"][0]["env"]}


def test_it_runs_exactly_where_the_agents_may_run() -> None:
    daemonset = build()
    assert pod_spec(daemonset)["nodeSelector"] == {"agenttype": "client"}
    assert pod_spec(daemonset)["tolerations"] == TOLERATIONS
    assert "affinity" not in pod_spec(daemonset)


def test_no_tolerations_means_no_tolerations_field() -> None:
    assert "tolerations" not in pod_spec(build(tolerations=[]))


def test_an_empty_node_selector_is_refused() -> None:
    with pytest.raises(ValueError, match="client: the node selector must not be empty"):
        build(node_selector={})


def test_its_pods_never_look_like_agents() -> None:
    """Agents keep one per node with anti-affinity on app=cyperf-agent; a tuning pod matching
    it would keep every agent off its node. Nor may an agent selector pick tuning pods."""
    labels = build()["spec"]["template"]["metadata"]["labels"]
    (term,) = specs.one_agent_per_node_affinity()["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    assert selector_matches(term["labelSelector"], labels) is False
    assert selector_matches(term["labelSelector"], {specs.APP_LABEL: specs.APP_VALUE}) is True
    assert specs.RUN_LABEL not in labels and specs.GROUP_LABEL not in labels
    assert labels == {
        "app.kubernetes.io/name": "cyperf-node-tuning",
        "cyperf-k8s/node-tuning": "client",
    }
    assert build()["spec"]["selector"]["matchLabels"] == labels


def test_names_are_per_instance_and_deterministic() -> None:
    assert build()["metadata"]["name"] == "cyperf-node-tuning-client"
    assert build(instance="srv")["metadata"]["name"] == "cyperf-node-tuning-srv"
    assert build() == build()


def test_host_access_is_the_netfilter_directory_and_the_host_network_only() -> None:
    spec = pod_spec(build())
    assert spec["hostNetwork"] is True
    assert not spec.get("hostPID") and not spec.get("hostIPC")
    assert spec["volumes"] == [
        {
            "name": "host-netfilter",
            "hostPath": {"path": "/proc/sys/net/netfilter", "type": "Directory"},
        }
    ]
    (container,) = spec["containers"]
    assert container["volumeMounts"] == [
        {"name": "host-netfilter", "mountPath": "/host/proc/sys/net/netfilter"}
    ]
    assert spec["automountServiceAccountToken"] is False


def test_the_container_is_unprivileged_with_no_capabilities() -> None:
    (container,) = pod_spec(build())["containers"]
    security = container["securityContext"]
    assert security["privileged"] is False
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert "add" not in security["capabilities"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert security["runAsUser"] == 0


def test_the_image_is_pinned_to_a_tag() -> None:
    (container,) = pod_spec(build())["containers"]
    repository, _, tag = container["image"].rpartition(":")
    assert repository.endswith("/busybox")
    assert tag == "1.37.0"


def test_resources_are_small_and_bounded() -> None:
    (container,) = pod_spec(build())["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "5m", "memory": "8Mi"},
        "limits": {"cpu": "50m", "memory": "16Mi"},
    }


def test_the_plan_reaches_the_environment() -> None:
    assert env(build()) == {
        "NETFILTER_DIR": "/host/proc/sys/net/netfilter",
        "CONNTRACK_MAX": "450000",
        "TIME_WAIT_SECONDS": "60",
        "INTERVAL_SECONDS": "30",
    }
    assert env(build(time_wait_seconds=None, interval_seconds=300))["TIME_WAIT_SECONDS"] == ""
    assert env(build(interval_seconds=300))["INTERVAL_SECONDS"] == "300"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"conntrack_max": 0}, r"conntrack_max must be 1-2147483647 \(got 0\)"),
        ({"conntrack_max": 2**31}, r"conntrack_max must be 1-2147483647"),
        ({"time_wait_seconds": 0}, r"time_wait_seconds must be >= 1 \(got 0\)"),
        ({"interval_seconds": 4}, r"interval_seconds must be 5-3600 \(got 4\)"),
        ({"interval_seconds": 3601}, r"interval_seconds must be 5-3600 \(got 3601\)"),
    ],
)
def test_bad_values_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(**changes)


@pytest.mark.parametrize("time_wait", [60, None])
def test_the_daemonset_validates_strictly(time_wait: int | None) -> None:
    kubernetes_validate.validate(
        build(time_wait_seconds=time_wait), KUBERNETES_VERSION, strict=True
    )


def test_the_validator_catches_a_misspelt_field() -> None:
    broken = build()
    pod_spec(broken)["hostNetwrok"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


# --- The loop itself, run by this machine's POSIX sh against files standing in for the sysctls.


def fake_netfilter(tmp_path: Path, max_entries: int, time_wait: int, count: int) -> Path:
    directory = tmp_path / "netfilter"
    directory.mkdir()
    (directory / "nf_conntrack_max").write_text(f"{max_entries}\n")
    (directory / "nf_conntrack_tcp_timeout_time_wait").write_text(f"{time_wait}\n")
    (directory / "nf_conntrack_count").write_text(f"{count}\n")
    return directory


def run_one_cycle(directory: Path, daemonset: dict[str, Any]) -> tuple[list[str], int]:
    """Start the container's command, read until the first status line, then stop it."""
    (container,) = pod_spec(daemonset)["containers"]
    environment = {**env(daemonset), "NETFILTER_DIR": str(directory), "PATH": os.environ["PATH"]}
    process = subprocess.Popen(
        ["sh", "-c", container["command"][2]],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.strip())
        if line.startswith("nf_conntrack_count="):
            break
    os.killpg(process.pid, signal.SIGTERM)
    return lines, process.wait(timeout=10)


def test_the_loop_raises_the_maximum_sets_time_wait_and_logs(tmp_path: Path) -> None:
    directory = fake_netfilter(tmp_path, max_entries=262_144, time_wait=120, count=1234)
    lines, code = run_one_cycle(directory, build())
    assert (directory / "nf_conntrack_max").read_text().strip() == "450000"
    assert (directory / "nf_conntrack_tcp_timeout_time_wait").read_text().strip() == "60"
    assert lines == [
        "raised nf_conntrack_max from 262144 to 450000",
        "set nf_conntrack_tcp_timeout_time_wait from 120 to 60",
        "nf_conntrack_count=1234 nf_conntrack_max=450000 target_max=450000 "
        "nf_conntrack_tcp_timeout_time_wait=60",
    ]
    assert code == 0  # SIGTERM ends it cleanly and promptly


def test_the_loop_never_lowers_a_larger_maximum(tmp_path: Path) -> None:
    directory = fake_netfilter(tmp_path, max_entries=1_048_576, time_wait=120, count=7)
    lines, _ = run_one_cycle(directory, build(time_wait_seconds=None))
    assert (directory / "nf_conntrack_max").read_text().strip() == "1048576"
    assert (directory / "nf_conntrack_tcp_timeout_time_wait").read_text().strip() == "120"
    assert lines == [
        "nf_conntrack_count=7 nf_conntrack_max=1048576 target_max=450000 "
        "nf_conntrack_tcp_timeout_time_wait=120"
    ]


def test_the_loop_fails_loudly_when_the_kernel_refuses_the_write(tmp_path: Path) -> None:
    """A read-only sysctl stands in for a refused write (SELinux, a read-only mount): the
    kernel answers EACCES to every user, root included."""
    read_only_sysctl = Path("/proc/sys/kernel/ngroups_max")
    directory = fake_netfilter(tmp_path, max_entries=1, time_wait=120, count=0)
    (directory / "nf_conntrack_max").unlink()
    (directory / "nf_conntrack_max").symlink_to(read_only_sysctl)
    before = read_only_sysctl.read_text()
    assert int(before) < 450_000  # so the loop tries to raise it
    (container,) = pod_spec(build())["containers"]
    result = subprocess.run(
        ["sh", "-c", container["command"][2]],
        env={**env(build()), "NETFILTER_DIR": str(directory), "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 1
    assert "nf_conntrack_max" in result.stderr and "ermission denied" in result.stderr
    assert result.stdout == ""  # no status line pretending all is well
    assert read_only_sysctl.read_text() == before


def test_the_loop_reads_real_sysctl_files_whole(tmp_path: Path) -> None:
    """A sysctl file answers only a read at offset 0; a byte-wise reader gets the first digit."""
    real_sysctl = Path("/proc/sys/kernel/ngroups_max")
    value = real_sysctl.read_text().strip()
    assert len(value) > 1
    directory = fake_netfilter(tmp_path, max_entries=1, time_wait=120, count=3)
    (directory / "nf_conntrack_max").unlink()
    (directory / "nf_conntrack_max").symlink_to(real_sysctl)
    lines, _ = run_one_cycle(directory, build(conntrack_max=1000, time_wait_seconds=None))
    assert lines == [
        f"nf_conntrack_count=3 nf_conntrack_max={value} target_max=1000 "
        "nf_conntrack_tcp_timeout_time_wait=120"
    ]


def test_the_script_in_the_module_is_the_one_the_container_runs() -> None:
    (container,) = pod_spec(build())["containers"]
    assert container["command"] == ["/bin/sh", "-c", TUNING_SCRIPT]


def test_the_daemonset_name_fits_the_longest_group_name() -> None:
    assert len(daemonset_name("g" * 40)) <= 63
