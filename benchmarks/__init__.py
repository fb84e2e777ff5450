"""Side-by-side benchmarks of webkit and its peers (run: python -m benchmarks.bench)."""
