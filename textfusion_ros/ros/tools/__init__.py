"""Tools around the node (not its runtime): demo, bag replay, benchmarks, test helpers."""
