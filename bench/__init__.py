"""alertkit benchmarks: `python -m bench` (or `make bench`). Not part of the test run."""
