"""Minimal LanguageRuntime gRPC server for the local rig.

It does what Pulumi's Go Python language host does for `pulumi up/preview/destroy`:
it runs the program through the SDK's own launcher `pulumi-language-python-exec`
(found beside this file) with the same flags and environment (PULUMI_CONFIG,
PULUMI_CONFIG_SECRET_KEYS), honours `runtime.options.virtualenv` from Pulumi.yaml,
and reports the Pulumi packages installed in that Python (their pulumi-plugin.json)
as the program's required plugins.

`RunPlugin` starts a plugin written in Python the way the Go host does for a plugin
directory with a `__main__.py`: `<virtualenv>/bin/python <program directory> <args>`,
with the virtualenv from the plugin's own project file (PulumiPolicy.yaml for a policy
pack, `venv` when not set), streaming its stdout/stderr back and ending with its exit
code. The Pulumi CLI (v3.274.1) starts a Python policy pack (`--policy-pack <dir>`)
this way.

Not implemented: toolchains other than a plain virtualenv/pip Python, plugins run as
a buildable package (`python -m pulumi.run.plugin`, no `__main__.py`), debugger
attachment, `pulumi new`/`install`/`convert`/`package` code paths.
"""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import IO, Any

import grpc
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

HERE = os.path.dirname(os.path.realpath(__file__))
EXEC = os.path.join(HERE, "pulumi-language-python-exec")
# exit code the launcher uses after it printed an actionable error itself
BAIL_CODE = 32
VERSION = os.environ.get("PULUMI_RIG_LANGHOST_VERSION", "0.0.0-rig")

_FIND_PLUGINS = r"""
import json, sys
try:
    from importlib import metadata
except ImportError:
    sys.exit(0)
out = []
for dist in metadata.distributions():
    for f in dist.files or []:
        if f.name == "pulumi-plugin.json":
            try:
                data = json.loads(f.read_text())
            except Exception:
                continue
            if data.get("resource", False):
                out.append(data)
print(json.dumps(out))
"""


def _options(info: Any) -> dict[str, Any]:
    if info is None or not info.HasField("options"):
        return {}
    from google.protobuf import json_format  # type: ignore[import-untyped]

    options: dict[str, Any] = json_format.MessageToDict(info.options)
    return options


def _python_env(
    info: Any, base_env: dict[str, str] | None = None, default_virtualenv: str = ""
) -> tuple[str, dict[str, str]]:
    """(python executable, environment) for running the user program (or a plugin)."""
    env = dict(os.environ if base_env is None else base_env)
    venv = _options(info).get("virtualenv") or default_virtualenv
    if venv:
        root = info.root_directory or os.getcwd()
        venv = venv if os.path.isabs(venv) else os.path.join(root, venv)
        env["VIRTUAL_ENV"] = venv
        env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env.get("PATH", "")
        env.pop("PYTHONHOME", None)
        return os.path.join(venv, "bin", "python"), env
    return sys.executable, env


def _pump(stream: IO[bytes], field: str, out: "queue.Queue[tuple[str, bytes]]") -> None:
    """Copy a child's output to `out` as it arrives; an empty chunk marks its end."""
    with stream:
        while chunk := os.read(stream.fileno(), 65536):
            out.put((field, chunk))
    out.put((field, b""))


class RigLanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str) -> None:
        self.engine_address = engine_address

    def Handshake(self, request: Any, context: Any) -> Any:
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=VERSION)

    def _plugins(self, info: Any) -> list[Any]:
        python, env = _python_env(info)
        try:
            out = subprocess.run(
                [python, "-c", _FIND_PLUGINS], env=env, capture_output=True, text=True, check=True
            ).stdout
            found = json.loads(out or "[]")
        except (OSError, subprocess.CalledProcessError, ValueError):
            return []
        deps = []
        for data in found:
            name, version = data.get("name"), data.get("version")
            if not name:
                continue
            if version and not version.startswith("v"):
                version = "v" + version
            deps.append(
                plugin_pb2.PluginDependency(
                    name=name, kind="resource", version=version or "", server=data.get("server", "")
                )
            )
        return deps

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPluginsResponse(plugins=self._plugins(request.info))

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        packages = [
            plugin_pb2.PackageDependency(
                name=p.name, kind=p.kind, version=p.version, server=p.server
            )
            for p in self._plugins(request.info)
        ]
        return language_pb2.GetRequiredPackagesResponse(packages=packages)

    def Run(self, request: Any, context: Any) -> Any:
        info = request.info if request.HasField("info") else None
        python, env = _python_env(info)
        args = [python, "-u", EXEC]

        def arg(flag: str, value: object) -> None:
            if value not in (None, ""):
                args.extend(["--" + flag, str(value)])

        arg("monitor", request.monitor_address)
        arg("engine", self.engine_address)
        arg("project", request.project)
        arg("stack", request.stack)
        arg("pwd", request.pwd)
        arg("dry_run", "true" if request.dryRun else "false")
        arg("parallel", request.parallel)
        arg("organization", request.organization)
        if info is not None:
            arg("root_directory", info.root_directory)
        program = "."
        if info is not None and info.entry_point:
            program = os.path.join(info.program_directory or ".", info.entry_point)
        elif request.program:
            program = request.program
        args.append(program)
        args.extend(request.args)

        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        # The engine stops its plugins with SIGINT to their process group. In its own
        # session the program ends through its broken RPC channel instead of printing
        # a KeyboardInterrupt traceback.
        proc = subprocess.run(args, env=env, cwd=request.pwd or None, start_new_session=True)
        if proc.returncode == 0:
            return language_pb2.RunResponse()
        if proc.returncode == BAIL_CODE:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(
            error=f"Program exited with non-zero exit code: {proc.returncode}"
        )

    def RunPlugin(self, request: Any, context: Any) -> Iterator[Any]:
        """Run a Python plugin (e.g. a policy pack) and stream its output, as the Go host does.

        The Go host runs `python <program directory> <args>` in the plugin's virtualenv
        (`venv` when its project file names none) when the root directory has a
        `__main__.py`; the engine reads the plugin's port from the first stdout line.
        """
        info = request.info
        root = info.root_directory or request.pwd or os.getcwd()
        program_directory = info.program_directory or root
        base_env = dict(entry.split("=", 1) for entry in request.env if "=" in entry) or None
        toolchain = _options(info).get("toolchain", "pip")
        if toolchain != "pip":
            context.abort(
                grpc.StatusCode.UNIMPLEMENTED,
                f"the rig's Python language host runs plugins only with the pip toolchain, "
                f"not {toolchain!r}",
            )
        python, env = _python_env(info, base_env, default_virtualenv="venv")
        if not os.access(python, os.X_OK):
            context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"the plugin's virtualenv {env['VIRTUAL_ENV']!r} has no bin/python; create it "
                f"(python -m venv) and install the plugin's requirements into it",
            )
        if not os.path.isfile(os.path.join(root, "__main__.py")):
            context.abort(
                grpc.StatusCode.UNIMPLEMENTED,
                f"{root} has no __main__.py; the rig's Python language host does not run "
                "plugins as buildable packages (python -m pulumi.run.plugin)",
            )
        # Like the Go host's child, the plugin stays in this host's process group: when the
        # engine interrupts the host's group, the plugin goes with it.
        proc = subprocess.Popen(
            [python, "-u", program_directory, *request.args],
            cwd=request.pwd or None,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

        def stop() -> None:
            # The engine ends a plugin by cancelling this call (the Go host's process
            # context then kills the process).
            if proc.poll() is None:
                proc.kill()

        context.add_callback(stop)
        chunks: queue.Queue[tuple[str, bytes]] = queue.Queue()
        assert proc.stdout is not None and proc.stderr is not None
        for stream, field in ((proc.stdout, "stdout"), (proc.stderr, "stderr")):
            threading.Thread(target=_pump, args=(stream, field, chunks), daemon=True).start()
        open_streams = 2
        while open_streams:
            field, chunk = chunks.get()
            if not chunk:
                open_streams -= 1
                continue
            if field == "stdout":
                yield language_pb2.RunPluginResponse(stdout=chunk)
            else:
                yield language_pb2.RunPluginResponse(stderr=chunk)
        code = proc.wait()
        # Go's WaitStatus.ExitStatus() is -1 for a process ended by a signal.
        yield language_pb2.RunPluginResponse(exitcode=code if code >= 0 else -1)

    def About(self, request: Any, context: Any) -> Any:
        python, _ = _python_env(request.info if request.HasField("info") else None)
        return language_pb2.AboutResponse(executable=python, version=sys.version.split()[0])

    def GetProgramDependencies(self, request: Any, context: Any) -> Any:
        return language_pb2.GetProgramDependenciesResponse()

    def InstallDependencies(self, request: Any, context: Any) -> Iterator[Any]:
        # Dependencies are installed by the caller (a venv with requirements.txt).
        return iter(())


def main() -> None:
    engine_address = sys.argv[-1] if len(sys.argv) > 1 else ""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(RigLanguageHost(engine_address), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    # The engine ends its plugins with SIGINT (then SIGKILL): stop quietly.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: server.stop(0))
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    main()
