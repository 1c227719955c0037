"""The organisation's facts the rules read: organisations, people, holiday schedules and township
variants (`directory`), and the process definition versions an administrator installs
(`definitions`)."""
