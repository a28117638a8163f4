"""The stack's settings: one typed, validated model parsed once from the stack config.

One module per section (`fields`, `problems`, `agent_groups`, `stack`, `eks/...`) and `loading`,
which picks the model. This package file imports nothing, so importing one section never loads
another (an existing-cluster stack never loads `components.settings.eks`). `reference` (with
`restarts`) writes docs/configuration.md from the models; the program never imports it.
"""
