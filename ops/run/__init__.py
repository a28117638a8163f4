"""`python -m ops run`: a CyPerf test against a deployed stack (docs/running-tests.md)."""
