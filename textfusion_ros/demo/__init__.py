"""Demos and their reports: the offline demo, the live report, benchmarks."""
