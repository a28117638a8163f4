"""CrossGuard policy pack for cyperf-k8s (run with `pulumi preview --policy-pack policy`).

`__main__.py` serves the pack defined in `pack.py` (name and policies). `resource_rules.py` and
`stack_rules.py` hold the validate functions; `workloads.py` finds pod templates and agent
containers; `values.py` reads policy props without tripping over values unknown during preview.
"""
