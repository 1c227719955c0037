"""Running a deployment: the scheduler's jobs (`scheduler`) and whole-database backup and restore
(`backup`)."""
