"""CrossGuard policy pack for cyperf-k8s (run with `pulumi preview --policy-pack policy`).

`__main__.py` serves the pack listed in `pack.py`. Each rule lives beside its validate function:
`resource_rules.py` (the agent resource rules), `node_tuning.py` (host access) and
`stack_rules.py` (the stack rules). `workloads.py` finds pod templates and agent containers;
`values.py` reads policy props without tripping over values unknown during preview.
"""
