"""Conntrack sizing of the agent nodes and the node-tuning DaemonSet that applies it.

A plan (`planner.ConntrackPlan`) is the one thing this package calls a plan: the table size one
node of an agent group needs, and what the stack asserts. The modules, from facts to resources:

- `kernel`: facts of the kernel and kube-proxy, and the stack's own defaults the settings share
  (pure constants; imports nothing of the project).
- `planner`: the arithmetic, from a group's traffic (`RoleTraffic`) to a `ConntrackPlan`, and the
  local port range a client pod needs (pure: no settings, no Pulumi).
- `plans`: from the stack settings to every group's plan, the warnings, the node-tuning
  DaemonSet spec of a group and the `controllerSetup.conntrack` output.
- `daemonset`: the node-tuning DaemonSet spec (pure).
- `component`: the `NodeTuning` Pulumi component that registers those DaemonSets.
"""
