"""One measurement, in its own interpreter: `python -m bench.child <mode> <args.json> [out]`.

Modes (the parent, bench/run.py, starts one fresh process per measurement):

- `record`: run the real program under the recording mocks; write what it registered, read,
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
- `imports`: import cost of SDK module lists: `base` (an existing-cluster stack's), then
  `extra` (what the EKS stacks load on top: pulumi_aws, pulumi_eks).
- `breakdown`: `real` with the phases split the way the floor's are: first the SDK modules of
  the recording (as the floor does), then the `components` import, the settings parse, the
  program's registrations, and the wait for every RPC and output.
- `importtime`: under `python -X importtime`: the recording's SDK modules, a marker line on
  stderr, then `import components.stack` (the parent attributes the lines after the marker).
- `profile`: `real` under cProfile; writes pstats to `out`.

Each mode prints one JSON line on stdout: phase times (seconds, from the child's first line),
peak RSS (ru_maxrss, KiB) and whether pulumi_aws / pulumi_eks were in sys.modules at the end.
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
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def load(name: str) -> None:
    """Import a module and run it: the SDKs put their submodules in sys.modules as lazy modules
    that execute on first attribute access."""
    module = importlib.import_module(name)
    if type(module) is not types.ModuleType:
        getattr(module, "__bench_load__", None)


def _loaded(prefix: str) -> bool:
    return any(m == prefix or m.startswith(prefix + ".") for m in sys.modules)


def _report(phases: dict[str, float], **extra: Any) -> dict[str, Any]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "phases": phases,
        "maxrss_kib": usage.ru_maxrss,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "pulumi_aws_loaded": _loaded("pulumi_aws"),
        "pulumi_eks_loaded": _loaded("pulumi_eks"),
        **extra,
    }


def _harness() -> tuple[Any, Any]:
    """Import the Pulumi SDK and the bench mocks (same for every mode)."""
    import pulumi

    from bench import mocks

    return pulumi, mocks


def _run_program(config: dict[str, str], record: bool) -> tuple[dict[str, Any], Any]:
    """components.stack.main() under the mocks; returns the resolved exports and the monitor."""
    pulumi, mocks = _harness()
    from components import stack

    bench_mocks = mocks.BenchMocks()
    monitor = (mocks.RecordingMonitor if record else mocks.Monitor)(bench_mocks)
    bench_mocks.monitor = monitor
    pulumi.runtime.set_mocks(
        bench_mocks, project=mocks.PROJECT, stack=mocks.STACK, preview=False, monitor=monitor
    )
    pulumi.runtime.set_all_config(config)
    exports: dict[str, Any] = {}
    resolved: dict[str, Any] = {}

    def capture(name: str, value: Any) -> None:
        exports[name] = value

    pulumi.export = capture

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        stack.main()
        return pulumi.Output.all(**exports).apply(resolved.update)

    program()
    if set(resolved) != set(exports):
        raise RuntimeError("not every export resolved")
    return resolved, monitor


def mode_real(args: dict[str, Any]) -> dict[str, Any]:
    _harness()
    start = time.perf_counter()
    _run_program(args["config"], record=False)
    end = time.perf_counter()
    return _report({"harness": start - STARTED, "program": end - start, "total": end - STARTED})


def mode_record(args: dict[str, Any], out: Path) -> dict[str, Any]:
    from bench.mocks import plain

    resolved, monitor = _run_program(args["config"], record=True)
    # Only modules that were executed: the SDKs register every submodule as a lazy module
    # (importlib.util.LazyLoader) that loads on first attribute access, and importing those
    # by name would load all of them.
    sdk_modules = sorted(
        name
        for name, module in list(sys.modules.items())
        if name.split(".")[0] in ("pulumi_kubernetes", "pulumi_aws", "pulumi_eks")
        and type(module) is types.ModuleType
    )
    recording = {
        "config": args["config"],
        "resources": [r.to_json() for r in monitor.registered],
        "outputs": monitor.outputs,
        "invokes": [{"token": i.token, "args": i.args} for i in monitor.invokes],
        "exports": plain(resolved),
        "sdk_modules": sdk_modules,
    }
    out.write_text(json.dumps(recording, indent=1, sort_keys=True))
    return _report({"total": time.perf_counter() - STARTED}, resources=len(monitor.registered))


def _revive(value: Any, objects: dict[str, Any]) -> Any:
    """Recorded inputs back to SDK inputs: {REF: urn} markers become the replayed resource."""
    from bench.mocks import REF

    if isinstance(value, dict):
        if set(value) == {REF}:
            return objects[value[REF]]
        return {k: _revive(v, objects) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v, objects) for v in value]
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
    import pulumi

    objects: dict[str, pulumi.Resource] = {}
    waits: list[Any] = [
        pulumi.runtime.invoke_output(invoked["token"], invoked["args"])
        for invoked in recording["invokes"]
    ]
    for rec in recording["resources"]:
        props = _revive(rec["inputs"], objects)
        for key in rec["secret_inputs"]:
            props[key] = pulumi.Output.secret(props[key])
        provider = objects.get(rec["provider"].rsplit("::", 1)[0]) if rec["provider"] else None
        opts = pulumi.ResourceOptions(
            parent=objects.get(rec["parent"]),
            provider=provider if isinstance(provider, pulumi.ProviderResource) else None,
            depends_on=[objects[d] for d in rec["dependencies"] if d in objects],
            id=rec["read_id"],
            additional_secret_outputs=rec["additional_secret_outputs"] or None,
            aliases=[pulumi.Alias(type_=t) for t in rec["alias_types"]] or None,
            version=rec["version"] or None,
        )
        obj: pulumi.Resource
        kubernetes = rec["typ"].startswith(("kubernetes:", "pulumi:providers:kubernetes"))
        if typed and kubernetes:
            # The class adds its own aliases and version; `get` its own id.
            opts = pulumi.ResourceOptions(
                parent=opts.parent,
                provider=opts.provider,
                depends_on=opts.depends_on,
                additional_secret_outputs=opts.additional_secret_outputs,
            )
            obj = _kubernetes_class_call(rec, props, opts)
        elif rec["typ"].startswith("pulumi:providers:"):
            package = rec["typ"].removeprefix("pulumi:providers:")
            obj = pulumi.ProviderResource(package, rec["name"], props, opts)
        elif rec["custom"]:
            obj = pulumi.CustomResource(rec["typ"], rec["name"], props, opts)
        else:
            obj = pulumi.ComponentResource(
                rec["typ"], rec["name"], props if rec["remote"] else None, opts, rec["remote"]
            )
        objects[rec["urn"]] = obj
        waits.append(obj.urn)
    for urn, outputs in recording["outputs"].items():
        component = objects.get(urn)
        if isinstance(component, pulumi.ComponentResource):
            component.register_outputs(outputs)
    return pulumi.Output.all(*waits)


def mode_floor(args: dict[str, Any]) -> dict[str, Any]:
    pulumi, mocks = _harness()
    start = time.perf_counter()
    recording = json.loads(Path(args["recording"]).read_text())
    loaded = time.perf_counter()
    for module in recording["sdk_modules"]:
        load(module)
    imported = time.perf_counter()
    bench_mocks = mocks.BenchMocks()
    verify = bool(args.get("verify"))
    monitor = (mocks.RecordingMonitor if verify else mocks.Monitor)(bench_mocks)
    bench_mocks.monitor = monitor
    pulumi.runtime.set_mocks(
        bench_mocks, project=mocks.PROJECT, stack=mocks.STACK, preview=False, monitor=monitor
    )
    pulumi.runtime.set_all_config(recording["config"])
    exports: dict[str, Any] = {}
    resolved: dict[str, Any] = {}
    marks: dict[str, float] = {}

    def capture(name: str, value: Any) -> None:
        exports[name] = value

    pulumi.export = capture

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        marks["enter"] = time.perf_counter()
        waits = replay(recording, typed=bool(args.get("typed")))
        for key, value in recording["exports"].items():
            pulumi.export(key, value)
        marks["built"] = time.perf_counter()
        return pulumi.Output.all(waits, pulumi.Output.all(**exports)).apply(
            lambda both: resolved.update(both[1])
        )

    program()
    end = time.perf_counter()
    if set(resolved) != set(recording["exports"]):
        raise RuntimeError("not every export resolved")
    extra = {"differences": differences(recording, monitor)} if verify else {}
    return _report(
        {
            "harness": start - STARTED,
            "sdk_imports": imported - loaded,
            "project_imports": 0.0,
            "parse": 0.0,
            "register": marks["built"] - marks["enter"],
            "wait": end - marks["built"],
            "total": end - STARTED,
        },
        **extra,
    )


def differences(recording: dict[str, Any], monitor: Any) -> list[str]:
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
    pulumi, mocks = _harness()
    start = time.perf_counter()
    recording = json.loads(Path(args["recording"]).read_text())
    loaded = time.perf_counter()
    for module in recording["sdk_modules"]:
        load(module)
    sdk = time.perf_counter()
    from components import stack
    from components.settings.loading import parse_settings, read_stack_config

    project = time.perf_counter()
    bench_mocks = mocks.BenchMocks()
    monitor = mocks.Monitor(bench_mocks)
    bench_mocks.monitor = monitor
    pulumi.runtime.set_mocks(
        bench_mocks, project=mocks.PROJECT, stack=mocks.STACK, preview=False, monitor=monitor
    )
    pulumi.runtime.set_all_config(args["config"])
    exports: dict[str, Any] = {}
    resolved: dict[str, Any] = {}
    marks: dict[str, float] = {}

    def capture(name: str, value: Any) -> None:
        exports[name] = value

    pulumi.export = capture

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        marks["enter"] = time.perf_counter()
        settings = parse_settings(read_stack_config())
        marks["parsed"] = time.perf_counter()
        stack.build(settings)
        marks["built"] = time.perf_counter()
        return pulumi.Output.all(**exports).apply(resolved.update)

    program()
    end = time.perf_counter()
    if set(resolved) != set(exports):
        raise RuntimeError("not every export resolved")
    return _report(
        {
            "harness": start - STARTED,
            "sdk_imports": sdk - loaded,
            "project_imports": project - sdk,
            "parse": marks["parsed"] - marks["enter"],
            "register": marks["built"] - marks["parsed"],
            "wait": end - marks["built"],
            "total": end - STARTED,
        }
    )


def mode_imports(args: dict[str, Any]) -> dict[str, Any]:
    """Import `base` (what an existing-cluster stack loads), then `extra` (what an EKS stack
    loads on top)."""
    start = time.perf_counter()
    for module in args["base"]:
        load(module)
    base = time.perf_counter()
    rss_base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for module in args["extra"]:
        load(module)
    end = time.perf_counter()
    return _report(
        {"base": base - start, "extra": end - base, "total": end - STARTED},
        maxrss_kib_base=rss_base,
    )


IMPORT_MARK = "bench: project imports start"


def mode_importtime(args: dict[str, Any]) -> dict[str, Any]:
    _harness()
    recording = json.loads(Path(args["recording"]).read_text())
    for module in recording["sdk_modules"]:
        load(module)
    sys.stderr.write(IMPORT_MARK + "\n")
    sys.stderr.flush()
    start = time.perf_counter()
    importlib.import_module("components.stack")
    return _report({"project_imports": time.perf_counter() - start})


def mode_profile(args: dict[str, Any], out: Path) -> dict[str, Any]:
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    _run_program(args["config"], record=False)
    profiler.disable()
    profiler.dump_stats(str(out))
    return _report({"total": time.perf_counter() - STARTED})


def main(argv: list[str]) -> None:
    mode, args_file = argv[0], Path(argv[1])
    out = Path(argv[2]) if len(argv) > 2 else None
    args = json.loads(args_file.read_text())
    if mode == "real":
        result = mode_real(args)
    elif mode == "floor":
        result = mode_floor(args)
    elif mode == "breakdown":
        result = mode_breakdown(args)
    elif mode == "importtime":
        result = mode_importtime(args)
    elif mode == "imports":
        result = mode_imports(args)
    elif mode == "record" and out is not None:
        result = mode_record(args, out)
    elif mode == "profile" and out is not None:
        result = mode_profile(args, out)
    else:
        raise SystemExit(
            f"usage: python -m bench.child real|floor|imports|record|profile ...: {argv}"
        )
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
