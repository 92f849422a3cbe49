"""The benchmark card driver's parts; perf/run_card.py is the entry point."""
