"""The 发展党员工作台账: import preview → confirm and undo (`intake`), and the export (`export`)."""
