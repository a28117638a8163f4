"""Minimal LanguageRuntime gRPC server for the local rig.

It does what Pulumi's Go Python language host does for `pulumi up/preview/destroy`:
it runs the program through the SDK's own launcher `pulumi-language-python-exec`
(found beside this file) with the same flags and environment (PULUMI_CONFIG,
PULUMI_CONFIG_SECRET_KEYS), honours `runtime.options.virtualenv` from Pulumi.yaml,
and reports the Pulumi packages installed in that Python (their pulumi-plugin.json)
as the program's required plugins. Not implemented: toolchains other than a plain
virtualenv/pip Python, `pulumi new`/`install`/`convert`/`package` code paths.
"""

import json
import os
import signal
import subprocess
import sys
from concurrent import futures

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


def _options(info):
    if info is None or not info.HasField("options"):
        return {}
    from google.protobuf import json_format

    return json_format.MessageToDict(info.options)


def _python_env(info):
    """(python executable, environment) for running the user program."""
    env = dict(os.environ)
    venv = _options(info).get("virtualenv")
    if venv:
        root = info.root_directory or os.getcwd()
        venv = venv if os.path.isabs(venv) else os.path.join(root, venv)
        env["VIRTUAL_ENV"] = venv
        env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env.get("PATH", "")
        env.pop("PYTHONHOME", None)
        return os.path.join(venv, "bin", "python"), env
    return sys.executable, env


class RigLanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address):
        self.engine_address = engine_address

    def Handshake(self, request, context):
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version=VERSION)

    def _plugins(self, info):
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

    def GetRequiredPlugins(self, request, context):
        return language_pb2.GetRequiredPluginsResponse(plugins=self._plugins(request.info))

    def GetRequiredPackages(self, request, context):
        packages = [
            plugin_pb2.PackageDependency(name=p.name, kind=p.kind, version=p.version, server=p.server)
            for p in self._plugins(request.info)
        ]
        return language_pb2.GetRequiredPackagesResponse(packages=packages)

    def Run(self, request, context):
        info = request.info if request.HasField("info") else None
        python, env = _python_env(info)
        args = [python, "-u", EXEC]

        def arg(flag, value):
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
        return language_pb2.RunResponse(error=f"Program exited with non-zero exit code: {proc.returncode}")

    def About(self, request, context):
        python, _ = _python_env(request.info if request.HasField("info") else None)
        return language_pb2.AboutResponse(executable=python, version=sys.version.split()[0])

    def GetProgramDependencies(self, request, context):
        return language_pb2.GetProgramDependenciesResponse()

    def InstallDependencies(self, request, context):
        # Dependencies are installed by the caller (a venv with requirements.txt).
        return iter(())


def main():
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
