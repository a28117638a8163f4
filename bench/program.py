"""Parts 1 and 2: what evaluating the program costs under Pulumi mocks, against a bare-SDK floor
that registers the same resources, measured in the same run; and how it grows with agent groups.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    Sample,
    Scratch,
    engine_config,
    example_stacks,
    fit_line,
    is_eks,
    med,
    mib,
    ratio_spread,
    run_child,
    spread,
    stack_config,
    table,
)

TARGET = 1.2
GROWTH_GROUPS = (1, 10, 50)
PHASES = ("harness", "sdk_imports", "project_imports", "parse", "register", "wait", "total")


@dataclass
class Comparison:
    """Runs of the real program and of its floors, round by round (rotating which goes first).

    `typed`: the SDK-class floor (Kubernetes objects and provider through their
    pulumi_kubernetes classes, everything else pulumi.CustomResource/ComponentResource), the
    minimal program the 1.2x target is judged against. `floor`: the all-generic floor
    (pulumi.CustomResource for every type), a stricter lower bound."""

    name: str
    recording: Path
    resources: dict[str, int]
    real: list[Sample] = field(default_factory=list)
    typed: list[Sample] = field(default_factory=list)
    floor: list[Sample] = field(default_factory=list)
    breakdown: list[Sample] = field(default_factory=list)
    # How each floor's registrations differ from the recorded ones (checked once, untimed).
    differences: dict[str, list[str]] = field(default_factory=dict)

    def ratios(self, attr: str, against: str = "typed") -> list[float]:
        return [
            float(getattr(r, attr)) / float(getattr(f, attr))
            for r, f in zip(self.real, getattr(self, against), strict=True)
        ]

    def wall_ratio(self, against: str = "typed") -> float:
        """Median of the per-round ratios: what the target is judged on."""
        return med(self.ratios("wall_s", against))

    def min_ratio(self, against: str = "typed") -> float:
        """Fastest program run over fastest floor run: the least disturbed by other load."""
        floor: list[Sample] = getattr(self, against)
        return min(s.wall_s for s in self.real) / min(s.wall_s for s in floor)


def _counts(recording: dict[str, Any]) -> dict[str, int]:
    resources = recording["resources"]
    return {
        "managed": sum(
            1 for r in resources if r["read_id"] is None and (r["custom"] or r["remote"])
        ),
        "components": sum(1 for r in resources if not r["custom"] and not r["remote"]),
        "reads": sum(1 for r in resources if r["read_id"] is not None),
    }


def compare(
    name: str,
    config: dict[str, str],
    runs: int,
    scratch: Scratch,
    breakdown: bool,
    generic: bool,
) -> Comparison:
    recording = scratch.file(f"recording-{name}")
    config_file = scratch.json(f"config-{name}", {"config": config})
    run_child("record", config_file, recording)
    both = scratch.json(f"both-{name}", {"config": config, "recording": str(recording)})
    typed = scratch.json(
        f"typed-{name}", {"config": config, "recording": str(recording), "typed": True}
    )
    result = Comparison(name, recording, _counts(json.loads(recording.read_text())))
    kinds = [("real", "real", both), ("typed", "floor", typed)]
    if generic:
        kinds.append(("floor", "floor", both))
    for attr, _, _ in kinds[1:]:
        verify = scratch.json(
            f"verify-{name}",
            {"recording": str(recording), "verify": True, "typed": attr == "typed"},
        )
        result.differences[attr] = run_child("floor", verify).report["differences"]
    for i in range(runs):
        # Rotate the order so drift in machine load hits every side alike.
        shift = i % len(kinds)
        for attr, mode, args in kinds[shift:] + kinds[:shift]:
            getattr(result, attr).append(run_child(mode, args))
        if breakdown:
            result.breakdown.append(run_child("breakdown", both))
    return result


def _resources_cell(counts: dict[str, int]) -> str:
    return f"{counts['managed']} / {counts['components']} / {counts['reads']}"


def _without(c: Comparison, seconds: float) -> float:
    """Median paired wall ratio (SDK-class floor) if every program run were `seconds` shorter."""
    return med([(r.wall_s - seconds) / f.wall_s for r, f in zip(c.real, c.typed, strict=True)])


def _same(c: Comparison) -> str:
    cells = []
    for attr, label in (("typed", "SDK-class"), ("floor", "generic")):
        if attr not in c.differences:
            continue
        found = c.differences[attr]
        cells.append(
            f"{label}: yes"
            if not found
            else f"{label}: **no**, {len(found)} differences ({'; '.join(found[:3])})"
        )
    return ", ".join(cells)


def _walls(samples: list[Sample]) -> list[float]:
    return [s.wall_s for s in samples]


def cost_table(results: list[Comparison]) -> str:
    rows = []
    for c in results:
        rows.append(
            [
                c.name,
                "eks" if is_eks(c.name) else "existing",
                _resources_cell(c.resources),
                _same(c),
                spread(_walls(c.real), 1000),
                spread(_walls(c.typed), 1000),
                ratio_spread(c.ratios("wall_s")),
                f"{c.min_ratio():.2f}x",
                ratio_spread(c.ratios("cpu_s")),
                f"{mib(med([s.maxrss_kib for s in c.real])):.0f} / "
                f"{mib(med([s.maxrss_kib for s in c.typed])):.0f}",
                f"{med(c.ratios('maxrss_kib')):.2f}x",
                "yes" if c.wall_ratio() <= TARGET else "**no**",
                spread(_walls(c.floor), 1000),
                ratio_spread(c.ratios("wall_s", "floor")),
                f"{c.min_ratio('floor'):.2f}x",
            ]
        )
    return table(
        (
            "stack | cluster | resources (managed / components / reads) | "
            "floors register the same | program wall ms | SDK-class floor wall ms | "
            "wall ratio (pairs) | wall ratio of minimums | CPU ratio (pairs) | "
            f"peak RSS MiB program / floor | RSS ratio | wall ratio <= {TARGET}x | "
            "generic floor wall ms | ratio to generic floor (pairs) | "
            "ratio to generic floor of minimums"
        ),
        rows,
    )


def phase_table(results: list[Comparison]) -> str:
    rows = []
    for c in results:
        for label, samples in (
            ("program", c.breakdown),
            ("SDK-class floor", c.typed),
            ("generic floor", c.floor),
        ):
            phases = [s.report["phases"] for s in samples]
            rows.append(
                [c.name, label]
                + [f"{med([p.get(k, 0.0) for p in phases]) * 1000:.0f}" for k in PHASES]
            )
    return table(
        (
            "stack | run | interpreter + pulumi + mocks | SDK imports | project imports | "
            "settings parse | registrations | wait (RPCs, outputs) | total (in-process)"
        ),
        rows,
    )


def gap_table(results: list[Comparison]) -> str:
    rows = []
    for c in results:
        real = [s.report["phases"] for s in c.breakdown]
        floor = [s.report["phases"] for s in c.typed]
        gaps = {
            k: med([p.get(k, 0.0) for p in real]) - med([p.get(k, 0.0) for p in floor])
            for k in PHASES
        }
        wall = med(_walls(c.real)) - med(_walls(c.typed))
        rows.append(
            [c.name, f"{wall * 1000:.0f}"]
            + [f"{gaps[k] * 1000:.0f}" for k in PHASES[1:]]
            + ["yes" if c.wall_ratio() <= TARGET else "**no**"]
        )
    return table(
        (
            "stack | wall | SDK imports | project imports | settings parse | registrations | "
            f"wait | total (in-process) | meets {TARGET}x"
        ),
        rows,
    )


EKS_SETTINGS = "`components.settings.eks` (EKS models; no existing-cluster use)"
IMPORT_LABELS = {
    "components.settings.eks": EKS_SETTINGS,
    "components.settings": "`components.settings` (stack settings models)",
    "components": "other `components.*` modules",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic_core",
    "annotated_types": "annotated_types, typing_inspection",
    "typing_inspection": "annotated_types, typing_inspection",
    "": "other modules (stdlib)",
}


def import_label(module: str) -> str:
    """The label of the longest listed package (or module) that holds `module`."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        label = IMPORT_LABELS.get(".".join(parts[:end]))
        if label:
            return label
    return IMPORT_LABELS[""]


def import_costs(recording: Path, runs: int, scratch: Scratch) -> dict[str, list[float]]:
    """Self time (s) per bucket of every module `import components.stack` loads after the SDK
    modules, from `python -X importtime`, one list entry per run."""
    from bench.child import IMPORT_MARK

    args = scratch.json("importtime", {"recording": str(recording)})
    costs: dict[str, list[float]] = {label: [] for label in IMPORT_LABELS.values()}
    for _ in range(runs):
        sample = run_child("importtime", args, flags=["-X", "importtime"])
        lines = sample.stderr.split(IMPORT_MARK, 1)[1].splitlines()
        run = dict.fromkeys(costs, 0.0)
        for line in lines:
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            _, self_us, _, name = (part.strip() for part in line.replace(":", "|", 1).split("|"))
            run[import_label(name)] += int(self_us) / 1e6
        for label, value in run.items():
            costs[label].append(value)
    return costs


def import_table(costs: dict[str, list[float]]) -> str:
    totals = [sum(run) for run in zip(*costs.values(), strict=True)]
    rows = [[label, spread(values, 1000)] for label, values in costs.items() if med(values) > 0]
    rows.append(["**total**", spread(totals, 1000)])
    return table(["module(s), self time", "ms"], rows)


def program_cost(runs: int, scratch: Scratch) -> tuple[str, list[Comparison]]:
    results = [
        compare(
            name, engine_config(stack_config(name)), runs, scratch, breakdown=True, generic=True
        )
        for name in example_stacks()
    ]
    text = [
        "### 1. Program cost under Pulumi mocks vs. a bare-SDK floor",
        "",
        cost_table(results),
        "",
        "Where the time goes (medians, ms, measured inside the child; the program's `breakdown` "
        "runs import the same SDK modules first, like the floor, so the columns line up):",
        "",
        phase_table(results),
    ]
    existing = next(c for c in results if not is_eks(c.name))
    costs = import_costs(existing.recording, runs, scratch)
    eks_settings = med(costs[EKS_SETTINGS])
    text += [
        "",
        "The project's own imports (`import components.stack` after the SDK modules, "
        "`python -X importtime`, self time per module summed per group of modules):",
        "",
        import_table(costs),
        "",
    ]
    if eks_settings > 0:
        text.append(
            "Wall ratio if existing-cluster runs did not import `components.settings.eks` "
            "(estimate: each program run minus that module's median import self time, over its "
            "paired floor run; median of the pairs): "
            + ", ".join(
                f"`{c.name}` {_without(c, eks_settings):.2f}x"
                for c in results
                if not is_eks(c.name)
            )
            + "."
        )
    else:
        text.append(
            "`components.settings.eks` is not among them: existing-cluster stacks do not load "
            "the EKS settings models (an EKS stack loads them in `parse_settings`, which shows "
            "under *settings parse* above)."
        )
    text += [
        "",
        "The gap, program minus SDK-class floor (differences of the medians above, ms; `wall` "
        "is the whole child as the parent saw it):",
        "",
        gap_table(results),
    ]
    return "\n".join(text), results


# --- part 2 ----------------------------------------------------------------------------------


def growth_config(groups: int) -> dict[str, str]:
    """`groups` server groups (the heavier kind: a Deployment, a Service and an Endpoints read
    each) on an existing cluster."""
    return engine_config(
        {
            "cyperf-k8s:controllerAddress": "192.0.2.10",
            "cyperf-k8s:agentGroups": [
                {
                    "name": f"g{i:03d}",
                    "role": "server",
                    "replicas": 2,
                    "readiness": {"mode": "agent-started"},
                    "service": {
                        "name": f"svc-{i:03d}",
                        "ports": [{"name": "http", "port": 80, "targetPort": 80}],
                    },
                }
                for i in range(groups)
            ],
        }
    )


def _per_group(
    results: dict[int, Comparison], side: str, attr: str, a: int, b: int, stat: str
) -> float:
    def value(n: int) -> float:
        values = [float(getattr(s, attr)) for s in getattr(results[n], side)]
        return med(values) if stat == "median" else min(values)

    return (value(b) - value(a)) / (b - a)


def growth(runs: int, scratch: Scratch) -> tuple[str, dict[int, Comparison]]:
    results = {
        n: compare(f"{n}-groups", growth_config(n), runs, scratch, breakdown=True, generic=False)
        for n in GROWTH_GROUPS
    }
    rows = [
        [
            n,
            _resources_cell(c.resources),
            _same(c),
            spread([s.wall_s for s in c.real], 1000),
            spread([s.wall_s for s in c.typed], 1000),
            ratio_spread(c.ratios("wall_s")),
            spread([s.cpu_s for s in c.real], 1000),
            f"{mib(med([s.maxrss_kib for s in c.real])):.1f}",
            f"{mib(med([s.maxrss_kib for s in c.typed])):.1f}",
        ]
        for n, c in results.items()
    ]
    steps = list(itertools.pairwise(GROWTH_GROUPS))
    increments = []
    for side, stat in itertools.product(("real", "typed"), ("median", "min")):
        row: list[Any] = [f"{'program' if side == 'real' else 'floor'} ({stat}s)"]
        for attr, scale, unit in (("wall_s", 1000.0, "ms"), ("cpu_s", 1000.0, "ms")):
            values = [_per_group(results, side, attr, a, b, stat) * scale for a, b in steps]
            row += [f"{v:.1f} {unit}" for v in values]
            row.append(f"{values[-1] / values[0]:.2f}" if values[0] else "-")
        mem = [_per_group(results, side, "maxrss_kib", a, b, stat) for a, b in steps]
        row += [f"{v:.0f} KiB" for v in mem]
        increments.append(row)
    step_names = [f"{a}->{b}" for a, b in steps]
    scaling = []
    for label, attr in (("program", "breakdown"), ("floor", "typed")):
        # Registrations + the wait for RPCs and outputs: the in-process part that scales with
        # groups, without the interpreter start-up and imports (constant, and the noisiest).
        inproc: dict[int, list[float]] = {
            n: [
                (s.report["phases"]["register"] + s.report["phases"]["wait"]) * 1000
                for s in getattr(c, attr)
            ]
            for n, c in results.items()
        }
        per_group = [(med(inproc[b]) - med(inproc[a])) / (b - a) for a, b in steps]
        xs_in = [float(n) for n, v in inproc.items() for _ in v]
        _, slope, r2 = fit_line(xs_in, [y for v in inproc.values() for y in v])
        scaling.append(
            [label]
            + [spread(inproc[n]) for n in GROWTH_GROUPS]
            + [f"{v:.2f}" for v in per_group]
            + [f"{per_group[-1] / per_group[0]:.2f}" if per_group[0] else "-"]
            + [f"{slope:.2f}", f"{r2:.4f}"]
        )
    xs = [float(n) for n, c in results.items() for _ in c.real]
    fits = []
    for side in ("real", "typed"):
        for attr, label, scale in (
            ("wall_s", "wall ms", 1000.0),
            ("cpu_s", "CPU ms", 1000.0),
            ("maxrss_kib", "peak RSS KiB", 1.0),
        ):
            ys = [
                float(getattr(s, attr)) * scale for c in results.values() for s in getattr(c, side)
            ]
            intercept, slope, r2 = fit_line(xs, ys)
            fits.append(
                [
                    "program" if side == "real" else "floor",
                    label,
                    f"{intercept:.0f}",
                    f"{slope:.2f}",
                    f"{r2:.4f}",
                ]
            )
    text = [
        "### 2. Growth with agent groups (existing cluster)",
        "",
        "Each group is a server group (Deployment + Service + Endpoints read); the floor is the "
        "SDK-class floor of part 1 (all types here are Kubernetes ones).",
        "",
        table(
            (
                "groups | resources (managed / components / reads) | floor registers the same | "
                "program wall ms | SDK-class floor wall ms | wall ratio | program CPU ms | "
                "program peak RSS MiB | SDK-class floor peak RSS MiB"
            ),
            rows,
        ),
        "",
        "Cost per added group between sizes (difference of the medians, or of the fastest "
        "runs, divided by the groups added); `later/earlier` near 1.0 means linear growth:",
        "",
        table(
            ["run"]
            + [f"wall per group {s}" for s in step_names]
            + ["later/earlier"]
            + [f"CPU per group {s}" for s in step_names]
            + ["later/earlier"]
            + [f"RSS per group {s}" for s in step_names],
            increments,
        ),
        "",
        "Least-squares fit over every sample, value = a + b * groups:",
        "",
        table(["run", "measure", "a", "b (per group)", "R^2"], fits),
        "",
        "The part that scales, measured in-process (registrations + wait for RPCs and outputs, "
        "ms; the program's `breakdown` runs and the floor runs), per added group and fitted:",
        "",
        table(
            ["run"]
            + [f"{n} groups" for n in GROWTH_GROUPS]
            + [f"per group {s}" for s in step_names]
            + ["later/earlier", "fit b (per group)", "R^2"],
            scaling,
        ),
    ]
    return "\n".join(text), results


def sdk_isolation(runs: int, scratch: Scratch, cost: list[Comparison]) -> str:
    """Which stacks load pulumi_aws / pulumi_eks, and what importing them costs."""
    rows = []
    for c in cost:
        last = c.real[-1].report
        rows.append(
            [
                c.name,
                "eks" if is_eks(c.name) else "existing",
                "yes" if last["pulumi_aws_loaded"] else "no",
                "yes" if last["pulumi_eks_loaded"] else "no",
            ]
        )
    recordings = {c.name: json.loads(c.recording.read_text())["sdk_modules"] for c in cost}
    base = sorted({m for n, mods in recordings.items() if not is_eks(n) for m in mods})
    extra = sorted({m for n, mods in recordings.items() if is_eks(n) for m in mods} - set(base))
    modules = scratch.json("imports", {"base": base, "extra": extra})
    samples = [run_child("imports", modules) for _ in range(runs)]
    base_s = [s.report["phases"]["base"] for s in samples]
    extra_s = [s.report["phases"]["extra"] for s in samples]
    rss_before = [s.report["maxrss_kib_base"] for s in samples]
    rss_after = [s.maxrss_kib for s in samples]
    return "\n".join(
        [
            "SDK isolation: were the AWS/EKS SDKs in `sys.modules` at the end of the program's "
            "child run?",
            "",
            table(["stack", "cluster", "pulumi_aws loaded", "pulumi_eks loaded"], rows),
            "",
            "What an existing-cluster stack does not pay: the SDK modules the programs loaded, "
            f"imported in a fresh interpreter ({runs} runs):",
            "",
            table(
                "import | wall ms | peak RSS MiB after",
                [
                    [
                        f"pulumi + the existing-cluster stacks' {len(base)} SDK modules",
                        spread(base_s, 1000),
                        f"{mib(med(rss_before)):.0f}",
                    ],
                    [
                        f"+ the {len(extra)} modules the EKS stacks add (pulumi_aws, pulumi_eks)",
                        spread(extra_s, 1000),
                        f"{mib(med(rss_after)):.0f}",
                    ],
                ],
            ),
        ]
    )
