"""The 发展党员工作台账 (Excel ledger): its layout, the sheet writer, a safe reader and date parsing.

See docs/ledger.md.
"""
