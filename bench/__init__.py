"""Benchmarks of uprgraph; run with ``python -m bench``."""
