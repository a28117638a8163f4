"""Running the real program under the shared mocks (package `mocks`) and record what it registered.

`run_stack` runs `components.stack.main()` with `preview=False`, waits for every output, and
returns the registered resources (type, name, inputs, parent, provider, dependencies), the
component outputs and the resolved stack exports, so tests assert on what the program registered,
not on what a mock echoed. The stack config comes from keyword settings (`config_of`) or from an
example stack file (`engine_config`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components.settings.loading import parse_settings
from components.settings.problems import PROJECT, Problems
from mocks.cluster import ClusterMocks, ClusterState, default_cluster_state
from mocks.harness import run_program
from mocks.monitor import RecordingMonitor, Registered, plain

__all__ = ["ClusterMocks", "Registered", "default_cluster_state"]

STACK = "test"
# The example stack files.
STACKS = Path(__file__).resolve().parents[2] / "stacks"


@dataclass
class StackRun:
    resources: list[Registered]
    exports: dict[str, Any]
    component_outputs: dict[str, dict[str, Any]]
    # Names of the stack exports that resolved secret.
    secret_exports: set[str] = field(default_factory=set)

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ and r.read_id is None]

    def reads(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ and r.read_id is not None]

    def one(self, typ: str, name: str | None = None) -> Registered:
        """The one created resource of `typ` (named `name`, when given)."""
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, got {[r.name for r in found]}"
        return found[0]

    def managed(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(type, name) -> inputs of every created (not read) resource."""
        return {(r.typ, r.name): r.inputs for r in self.resources if r.read_id is None}


def config_of(**settings: Any) -> dict[str, str]:
    """Stack config as the engine hands it over: `cyperf-k8s:<key>` -> string (JSON for objects).
    A key that names its namespace (a provider's, such as `aws:profile`) is kept as it is."""
    return {
        qualified(key): value if isinstance(value, str) else json.dumps(value)
        for key, value in settings.items()
    }


def qualified(key: str) -> str:
    """`cyperf-k8s:<key>`, or the key itself when it names its namespace (`aws:assumeRoles`)."""
    return key if ":" in key else f"{PROJECT}:{key}"


def stack_config(path: Path) -> dict[str, Any]:
    """A stack file's `config`, as written (keys with their namespace)."""
    return dict(yaml.safe_load(path.read_text())["config"])


def engine_config(path: Path) -> dict[str, str]:
    """A stack file's values as the engine hands them to the program (objects as JSON text)."""
    return config_of(**stack_config(path))


def cluster_state_for(config: dict[str, str]) -> ClusterState:
    """A cluster with what a stack's config needs: its server groups' Services (with no ready
    endpoints) and the DNS Service it names."""
    groups = json.loads(config.get("cyperf-k8s:agentGroups", "null")) or [
        {"role": "server", "service": {}}
    ]
    namespace = config.get("cyperf-k8s:namespace", "cyperf")
    names = [
        (g.get("service") or {}).get("name", "cyperf-agent-service")
        for g in groups
        if g["role"] == "server" and g.get("service", {}) is not None
    ]
    state = default_cluster_state(
        namespace=namespace, endpoints={name: {"subsets": []} for name in names}
    )
    dns = config.get("cyperf-k8s:clusterDnsService")
    if dns:
        state[("kubernetes:core/v1:Service", dns)] = {"spec": {"clusterIP": "10.43.0.10"}}
    return state


def run_stack(
    config: dict[str, str],
    cluster_state: ClusterState | None = None,
    mocks: ClusterMocks | None = None,
    monitor_class: type[RecordingMonitor] = RecordingMonitor,
    secret_keys: Sequence[str] = (),
) -> StackRun:
    """Run the real program under mocks; every export must resolve. `secret_keys` (short names)
    are handed over as set with `pulumi config set --secret`."""
    run, error = _run(config, mocks or ClusterMocks(cluster_state), monitor_class, secret_keys)
    if error is not None:
        raise error
    return run


def run_stack_expecting_error(
    config: dict[str, str],
    cluster_state: ClusterState | None = None,
    mocks: ClusterMocks | None = None,
) -> tuple[BaseException, StackRun]:
    """Run the program with a config it must reject; returns the error and what got registered."""
    run, error = _run(config, mocks or ClusterMocks(cluster_state), RecordingMonitor)
    assert error is not None, "the program accepted a config it should reject"
    return error, run


UNKNOWN_KEY_HIDDEN = "(value hidden: the values of unknown keys are never shown)"


def refused(
    settings: dict[str, Any], key: str, allowed: str, mocks: ClusterMocks | None = None
) -> str:
    """Run a config the program must refuse before any resource, for one reason; returns that
    problem's line, after checking it names `key`, says `allowed` and shows the bad value (or
    hides it: an unknown key's value, or a secret). `mocks` answer the cloud lookups a check
    needs (`EksMocks` for the checks of an existing VPC)."""
    error, run = run_stack_expecting_error(config_of(**settings), mocks=mocks)
    # The engine prints either without a traceback: a RunError from the settings and the checks
    # before any resource, Problems from a check inside a lookup of the EKS path.
    assert isinstance(error, (pulumi.RunError, Problems)), repr(error)
    message = str(error)
    assert message.startswith("invalid stack configuration:"), message
    lines = message.splitlines()[1:]
    assert len(lines) == 1, message
    line = lines[0].removeprefix("  - ")
    assert line.startswith(f"{qualified(key)}: "), message
    assert allowed in line, line
    if "is not a known setting" in line:
        assert line.endswith(UNKNOWN_KEY_HIDDEN), line
    else:
        assert "(got " in line or "(value hidden: it is a secret)" in line, line
    assert run.resources == [], [r.name for r in run.resources]
    return line


def rejected(config: dict[str, str]) -> list[str]:
    """The problem lines of a config the settings refuse (parsing alone, no program run)."""
    with pytest.raises(Problems) as caught:
        parse_settings(config)
    return caught.value.lines


def one_problem(config: dict[str, str]) -> str:
    problems = rejected(config)
    assert len(problems) == 1, problems
    return problems[0]


def server(**extra: Any) -> dict[str, Any]:
    return {"name": "server", "role": "server", **extra}


def client(**extra: Any) -> dict[str, Any]:
    return {"name": "client", "role": "client", **extra}


def _run(
    config: dict[str, str],
    mocks: ClusterMocks,
    monitor_class: type[RecordingMonitor],
    secret_keys: Sequence[str] = (),
) -> tuple[StackRun, BaseException | None]:
    from components import stack

    monitor = monitor_class(mocks)
    exports: dict[str, Any] = {}
    error: BaseException | None = None
    secret_exports: set[str] = set()
    secret_config = [f"{PROJECT}:{key}" for key in secret_keys]
    try:
        exports = run_program(
            stack.main, config, mocks, monitor, PROJECT, STACK, secret_exports, secret_config
        )
    except Exception as err:  # the caller decides whether an error was expected
        error = err
    if error is None:
        assert exports, "the program exported nothing"
    return (
        StackRun(monitor.registered, plain(exports), monitor.outputs, secret_exports),
        error,
    )


# (case id, settings, the refused key, a fragment of what is allowed)
RefusalCase = tuple[str, dict[str, Any], str, str]


def refusal_table(cases: Sequence[RefusalCase], at_least: int) -> Callable[..., None]:
    """A test that runs every case of a module's table of refused configs through `refused`;
    `at_least` keeps a table from shrinking (or ending up empty) unnoticed."""
    assert len(cases) >= at_least, f"the table has {len(cases)} cases, fewer than {at_least}"

    def test(settings: dict[str, Any], key: str, allowed: str) -> None:
        refused(settings, key, allowed)

    parametrized: Callable[..., None] = pytest.mark.parametrize(
        ("settings", "key", "allowed"),
        [pytest.param(s, k, a, id=case) for case, s, k, a in cases],
    )(test)
    return parametrized
