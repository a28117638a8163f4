"""One measurement, in its own interpreter: `python -m bench.child <mode> <args.json> [out]`.

Modes (the parent, bench/run.py, starts one fresh process per measurement):

- `record`: run the real program under the recording monitor; write what it registered, read,
  invoked and exported, and which SDK modules it loaded, to `out` (JSON). Not timed.
- `real`: run the real program (components.stack.main) under the mocks, preview=False, like
  tests/conftest.py does.
- `floor`: replay a recording with bare SDK calls: the SDK modules the real run loaded, then
  pulumi.ComponentResource / CustomResource / ProviderResource with the recorded types, names,
  inputs, parents, providers and dependencies, the same reads and invokes, the same component
  outputs and stack exports. What the real program costs beyond this is the program's own cost.
  `"typed": true` in the args: Kubernetes objects, reads and provider through their
  pulumi_kubernetes classes (the SDK-class floor); `"verify": true`: under the recording
  monitor, reporting how the replay's registrations differ from the recorded ones.
- `breakdown`: `real` with the phases split the way the floor's are: first the SDK modules of
  the recording (as the floor does), then the `components` import, the settings parse, the
  program's registrations, and the wait for every RPC and output.
- `imports`: import cost of SDK module lists: `base` (an existing-cluster stack's), then
  `extra` (what the EKS stacks load on top: pulumi_aws, pulumi_eks).
- `importtime`: under `python -X importtime`: the recording's SDK modules, a marker line on
  stderr, then `import components.stack` (the parent attributes the lines after the marker).
- `profile`: `real` under cProfile; writes pstats to `out`.

Every mode uses the shared mocks (package `mocks`, the tests' own, answering every read) and
prints one JSON line on stdout: phase times (seconds, from the child's first line), peak RSS
(ru_maxrss, KiB) and whether pulumi_aws / pulumi_eks were in sys.modules at the end.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import importlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402

from mocks.aws import EksMocks  # noqa: E402
from mocks.harness import run_program  # noqa: E402
from mocks.monitor import RecordingMonitor, ReferenceSafeMonitor, plain  # noqa: E402

PROJECT = "cyperf-k8s"
STACK = "bench"
IMPORT_MARK = "bench: project imports start"
SDKS = ("pulumi_kubernetes", "pulumi_aws", "pulumi_eks")


class Clock:
    """Phase times: `mark(name)` closes the phase `name` (it ran since the previous mark)."""

    def __init__(self) -> None:
        self.last = STARTED
        self.phases: dict[str, float] = {}

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = now - self.last
        self.last = now

    def report(self, **extra: Any) -> dict[str, Any]:
        self.phases["total"] = time.perf_counter() - STARTED
        usage = resource.getrusage(resource.RUSAGE_SELF)
        loaded = {m.split(".")[0] for m in sys.modules}
        return {
            "phases": self.phases,
            "maxrss_kib": usage.ru_maxrss,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "pulumi_aws_loaded": "pulumi_aws" in loaded,
            "pulumi_eks_loaded": "pulumi_eks" in loaded,
            **extra,
        }


def load(name: str) -> None:
    """Import a module and run it: the SDKs put their submodules in sys.modules as lazy modules
    that execute on first attribute access."""
    module = importlib.import_module(name)
    if type(module) is not types.ModuleType:
        getattr(module, "__bench_load__", None)


def load_sdk_modules(args: dict[str, Any]) -> dict[str, Any]:
    recording: dict[str, Any] = json.loads(Path(args["recording"]).read_text())
    for module in recording["sdk_modules"]:
        load(module)
    return recording


def under_mocks(
    program: Callable[[], Any], config: dict[str, str], record: bool = False
) -> tuple[dict[str, Any], Any, EksMocks]:
    """Run `program` under the mocks; returns the resolved exports, the monitor and the mocks."""
    mocks = EksMocks(cluster_state={}, answer_every_read=True)
    monitor = (RecordingMonitor if record else ReferenceSafeMonitor)(mocks)
    return run_program(program, config, mocks, monitor, PROJECT, STACK), monitor, mocks


def stack_main() -> None:
    from components import stack

    stack.main()


def mode_real(args: dict[str, Any]) -> dict[str, Any]:
    clock = Clock()
    clock.mark("harness")
    under_mocks(stack_main, args["config"])
    clock.mark("program")
    return clock.report()


def mode_record(args: dict[str, Any], out: Path) -> dict[str, Any]:
    exports, monitor, mocks = under_mocks(stack_main, args["config"], record=True)
    # Only modules that were executed: the SDKs register every submodule as a lazy module
    # (importlib.util.LazyLoader) that loads on first attribute access, and importing those
    # by name would load all of them.
    sdk_modules = sorted(
        name
        for name, module in list(sys.modules.items())
        if name.split(".")[0] in SDKS and type(module) is types.ModuleType
    )
    recording = {
        "config": args["config"],
        "resources": [r.to_json() for r in monitor.registered],
        "outputs": monitor.outputs,
        "invokes": [{"token": i.token, "args": i.args} for i in mocks.invokes],
        "exports": plain(exports),
        "sdk_modules": sdk_modules,
    }
    out.write_text(json.dumps(recording, indent=1, sort_keys=True))
    return Clock().report(resources=len(monitor.registered))


def _revive(value: Any, objects: dict[str, Any], references: set[str]) -> Any:
    """Recorded inputs back to SDK inputs: a referenced URN becomes the replayed resource."""
    if isinstance(value, str) and value in references:
        return objects[value]
    if isinstance(value, dict):
        return {k: _revive(v, objects, references) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v, objects, references) for v in value]
    return value


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _kubernetes_class_call(rec: dict[str, Any], props: dict[str, Any], opts: Any) -> Any:
    """A recorded Kubernetes registration or read through the pulumi_kubernetes class of its
    type: the SDK's argument handling and typed outputs, without the project."""
    import pulumi_kubernetes as k8s

    kwargs = {_snake(k): v for k, v in props.items() if k not in ("apiVersion", "kind", "compat")}
    if rec["typ"] == "pulumi:providers:kubernetes":
        return k8s.Provider(rec["name"], opts=opts, **kwargs)
    _, module, kind = rec["typ"].split(":")
    group, version = module.split("/")
    cls = getattr(
        importlib.import_module(f"pulumi_kubernetes.{group.split('.')[0]}.{version}"), kind
    )
    if rec["read_id"] is not None:
        return cls.get(rec["name"], rec["read_id"], opts=opts)
    return cls(rec["name"], opts=opts, **kwargs)


def replay(recording: dict[str, Any], typed: bool = False) -> Any:
    """Register the recorded resources, reads, invokes and component outputs with bare SDK
    calls, in the recorded order (a topological one: a registration waits for its parent's and
    dependencies' URNs); returns an Output of everything to wait for. `typed`: Kubernetes
    objects and the Kubernetes provider through their pulumi_kubernetes classes instead of
    pulumi.CustomResource."""
    objects: dict[str, pulumi.Resource] = {}
    waits: list[Any] = [
        pulumi.runtime.invoke_output(invoked["token"], invoked["args"])
        for invoked in recording["invokes"]
    ]
    for rec in recording["resources"]:
        props = _revive(rec["inputs"], objects, set(rec["references"]))
        for key in rec["secret_inputs"]:
            props[key] = pulumi.Output.secret(props[key])
        provider = objects.get(rec["provider"].rsplit("::", 1)[0]) if rec["provider"] else None
        opts = pulumi.ResourceOptions(
            parent=objects.get(rec["parent"]),
            provider=provider if isinstance(provider, pulumi.ProviderResource) else None,
            depends_on=[objects[d] for d in rec["dependencies"] if d in objects],
            additional_secret_outputs=rec["additional_secret_outputs"] or None,
        )
        obj: pulumi.Resource
        if typed and rec["typ"].startswith(("kubernetes:", "pulumi:providers:kubernetes")):
            # The class adds its own aliases and version; `get` its own id.
            obj = _kubernetes_class_call(rec, props, opts)
        else:
            opts.id = rec["read_id"]
            opts.aliases = [pulumi.Alias(type_=t) for t in rec["alias_types"]] or None
            opts.version = rec["version"] or None
            if rec["typ"].startswith("pulumi:providers:"):
                package = rec["typ"].removeprefix("pulumi:providers:")
                obj = pulumi.ProviderResource(package, rec["name"], props, opts)
            elif rec["custom"]:
                obj = pulumi.CustomResource(rec["typ"], rec["name"], props, opts)
            else:
                remote = rec["remote"]
                obj = pulumi.ComponentResource(
                    rec["typ"], rec["name"], props if remote else None, opts, remote
                )
        objects[rec["urn"]] = obj
        waits.append(obj.urn)
    for urn, outputs in recording["outputs"].items():
        component = objects.get(urn)
        if isinstance(component, pulumi.ComponentResource):
            component.register_outputs(outputs)
    return pulumi.Output.all(*waits)


def mode_floor(args: dict[str, Any]) -> dict[str, Any]:
    clock = Clock()
    clock.mark("harness")
    recording = load_sdk_modules(args)
    clock.mark("sdk_imports")

    def program() -> Any:
        clock.mark("before_program")
        waits = replay(recording, typed=bool(args.get("typed")))
        for key, value in recording["exports"].items():
            pulumi.export(key, value)
        clock.mark("register")
        return waits

    verify = bool(args.get("verify"))
    exports, monitor, _ = under_mocks(program, recording["config"], record=verify)
    clock.mark("wait")
    clock.phases["harness"] += clock.phases.pop("before_program")
    if set(exports) != set(recording["exports"]):
        raise RuntimeError("the floor did not export what the program did")
    return clock.report(**({"differences": differences(recording, monitor)} if verify else {}))


def differences(recording: dict[str, Any], monitor: RecordingMonitor) -> list[str]:
    """How the floor's registrations differ from the recorded ones (empty: identical types,
    names, parents, providers, dependencies, inputs, reads and component outputs)."""
    keys = ("typ", "name", "parent", "provider", "read_id", "custom", "remote", "secret_inputs")
    wanted = {r["urn"]: r for r in recording["resources"]}
    got = {r.urn: r.to_json() for r in monitor.registered}
    found = [f"missing {u}" for u in wanted.keys() - got.keys()]
    found += [f"extra {u}" for u in got.keys() - wanted.keys()]
    for urn in wanted.keys() & got.keys():
        w, g = wanted[urn], got[urn]
        found += [f"{urn}: {k}" for k in keys if w[k] != g[k]]
        if sorted(set(w["dependencies"])) != sorted(set(g["dependencies"])):
            found.append(f"{urn}: dependencies")
        if w["inputs"] != g["inputs"]:
            found.append(f"{urn}: inputs")
    if recording["outputs"] != monitor.outputs:
        found.append("component outputs")
    return found


def mode_breakdown(args: dict[str, Any]) -> dict[str, Any]:
    clock = Clock()
    clock.mark("harness")
    load_sdk_modules(args)
    clock.mark("sdk_imports")
    from components import stack
    from components.settings.loading import parse_settings, read_stack_config

    clock.mark("project_imports")

    def program() -> None:
        clock.mark("before_program")
        settings = parse_settings(read_stack_config())
        clock.mark("parse")
        stack.build(settings)
        clock.mark("register")

    under_mocks(program, args["config"])
    clock.mark("wait")
    # Setting up the mocks belongs to the harness, as in the floor's phases.
    clock.phases["harness"] += clock.phases.pop("before_program")
    return clock.report()


def mode_imports(args: dict[str, Any]) -> dict[str, Any]:
    """Import `base` (what an existing-cluster stack loads), then `extra` (what an EKS stack
    loads on top)."""
    clock = Clock()
    clock.mark("harness")
    for module in args["base"]:
        load(module)
    clock.mark("base")
    rss_base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for module in args["extra"]:
        load(module)
    clock.mark("extra")
    return clock.report(maxrss_kib_base=rss_base)


def mode_importtime(args: dict[str, Any]) -> dict[str, Any]:
    load_sdk_modules(args)
    sys.stderr.write(IMPORT_MARK + "\n")
    sys.stderr.flush()
    clock = Clock()
    clock.mark("harness")
    importlib.import_module("components.stack")
    clock.mark("project_imports")
    return clock.report()


def mode_profile(args: dict[str, Any], out: Path) -> dict[str, Any]:
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    under_mocks(stack_main, args["config"])
    profiler.disable()
    profiler.dump_stats(str(out))
    return Clock().report()


MODES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "real": mode_real,
    "floor": mode_floor,
    "breakdown": mode_breakdown,
    "imports": mode_imports,
    "importtime": mode_importtime,
}
MODES_WITH_OUT: dict[str, Callable[[dict[str, Any], Path], dict[str, Any]]] = {
    "record": mode_record,
    "profile": mode_profile,
}


def main(argv: list[str]) -> None:
    mode, args = argv[0], json.loads(Path(argv[1]).read_text())
    if mode in MODES:
        result = MODES[mode](args)
    elif mode in MODES_WITH_OUT and len(argv) > 2:
        result = MODES_WITH_OUT[mode](args, Path(argv[2]))
    else:
        raise SystemExit(
            f"usage: python -m bench.child {'|'.join(MODES)} <args.json>, or "
            f"{'|'.join(MODES_WITH_OUT)} <args.json> <out>: {argv}"
        )
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
