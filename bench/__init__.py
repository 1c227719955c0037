"""Benchmarks for partyflow (not part of the installed package).

`bench.baselines` holds the two reference measurements partyflow's own figure is compared with:
a raw-SQL floor (stdlib sqlite3) and a SpiffWorkflow peer. See bench/README.md.
"""
