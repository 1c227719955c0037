"""Period reports, the 发展党员工作台账 (Excel ledger) and its import. See docs/reports.md."""
