"""cyperf-k8s: CyPerf agents in Kubernetes, driven by stack config (see README.md)."""

from components.stack import main

main()
