"""CrossGuard policy pack for cyperf-k8s (run with `pulumi preview --policy-pack policy`).

`__main__.py` builds the pack; `rules.py` holds the validate functions; `values.py` reads policy
props without tripping over values that are unknown during preview.
"""
