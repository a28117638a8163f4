"""`verify`'s cost per poll at scale: N agent pods and a controller listing N agents.

    .venv-ops/bin/python -m bench.ops_verify            # N = 0, 100, 1000; 3 runs each
    .venv-ops/bin/python -m bench.ops_verify --runs 5 --sizes 0,100,1000

The fake Kubernetes API and the fake CyPerf controller of tests/ops (both on 127.0.0.1) run in
this process and serve N pods and N agents; each measurement is a fresh child process that reads
the stack's cluster and controller the way `python -m ops verify` does and polls `--polls` times
(list the agent pods, list the agents page by page through Keysight's client, match). It prints
the median time per poll and the child's peak RSS (ru_maxrss from os.wait4), and the ratios of
N=1000 against N=100 measured in the same run, interleaved: growth is linear when the time ratio
is at most about 10 and the RSS above the N=0 floor grows about 10-fold. Not a rig: the pods are
served by the fake API, not by KWOK behind a real API server.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TAGS = "K8s-Group=CyPerf-Agent-Client,cyperf-k8s=bench.client,node-owner=User"


def child(kube_url: str, controller_url: str, cert: str, token: str, polls: int) -> None:
    started = time.perf_counter()
    from ops.controller import Controller, Deadline, Tls
    from ops.credentials import Credentials
    from ops.kube import core_api
    from ops.pods import list_agent_pods
    from ops.stack import Secret, stack_info
    from ops.verify import match
    from tests.ops.fake_kube import kubeconfig

    stack = stack_info(
        "bench",
        {"cyperf-k8s:kubeconfig": (json.dumps(kubeconfig(kube_url)), True)},
        {"namespace": ("cyperf", False), "agentTags": ({"client": TAGS}, False)},
    )
    core = core_api(stack)
    controller = Controller(
        controller_url, Credentials(Secret(token), source="bench"), Tls(ca_cert=cert), Deadline(600)
    )
    imported = time.perf_counter() - started
    times = []
    registered = 0
    for _ in range(polls):
        begin = time.perf_counter()
        pods = list_agent_pods(core, stack.namespace)
        report = match(pods, controller.agents(), stack.agent_tags, stack=stack.name)
        times.append(time.perf_counter() - begin)
        group = report.groups.get("client")
        registered = len(group.registered) if group else 0
    print(json.dumps({"imports": imported, "polls": times, "registered": registered}))


def measure(size: int, fakes: Any, polls: int) -> dict[str, Any]:
    kube, controller = fakes
    kube.pods = pods(size)
    controller.agents = agents(size)
    argv = [
        sys.executable,
        "-m",
        "bench.ops_verify",
        "--child",
        json.dumps([kube.url, controller.url, str(controller.cert_file), controller.offline_token]),
        "--polls",
        str(polls),
    ]
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"child for N={size} failed ({status})")
    result = json.loads(out)
    assert result["registered"] == size, result["registered"]
    return {"poll": statistics.median(result["polls"]), "rss_kib": usage.ru_maxrss}


def pods(size: int) -> list[dict[str, Any]]:
    from tests.ops.fake_kube import pod_json

    return [pod_json(f"client-{i}", "client", ip(i), f"node-{i}", tags=TAGS) for i in range(size)]


def agents(size: int) -> list[dict[str, Any]]:
    from tests.ops.fake_controller import agent_json

    return [
        agent_json(f"agent-{i}", ip(i), TAGS.split(","), hostname=f"client-{i}")
        for i in range(size)
    ]


def ip(i: int) -> str:
    return f"10.244.{i // 250}.{i % 250 + 1}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--sizes", default="0,100,1000")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        kube_url, controller_url, cert, token = json.loads(args.child)
        child(kube_url, controller_url, cert, token, args.polls)
        return
    from tests.ops import fake_controller, fake_kube

    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, list[dict[str, Any]]] = {s: [] for s in sizes}
    with (
        tempfile.TemporaryDirectory() as folder,
        fake_kube.serve(fake_kube.FakeKube()) as kube,
        fake_controller.serve(Path(folder)) as controller,
    ):
        for run in range(args.runs):
            # alternate the order, so a change in machine load hits every size
            for size in sizes if run % 2 == 0 else list(reversed(sizes)):
                results[size].append(measure(size, (kube, controller), args.polls))
    print("| N pods = N agents | time per poll, median [min-max] | peak RSS MiB, median |")
    print("|---|---|---|")
    med: dict[int, tuple[float, float]] = {}
    for size in sizes:
        polls = [r["poll"] for r in results[size]]
        rss = statistics.median(r["rss_kib"] for r in results[size]) / 1024
        med[size] = (statistics.median(polls), rss)
        print(f"| {size} | {med[size][0]:.3f} s [{min(polls):.3f}-{max(polls):.3f}] | {rss:.1f} |")
    if {0, 100, 1000} <= set(sizes):
        time_ratio = med[1000][0] / med[100][0]
        floor = med[0][1]
        rss_ratio = (med[1000][1] - floor) / max(med[100][1] - floor, 0.1)
        print(f"\ntime per poll N=1000 / N=100: {time_ratio:.1f}x (linear: about 10x or less)")
        print(f"peak RSS above the N=0 floor, N=1000 / N=100: {rss_ratio:.1f}x")


if __name__ == "__main__":
    main()
