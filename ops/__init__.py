"""Day-two operations on a deployed cyperf-k8s stack: `python -m ops logs|verify` (see cli.py)."""
