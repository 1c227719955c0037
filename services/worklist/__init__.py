"""The web's worklists: a user's week, the township's approval queue, candidates by stage and a
candidate's step table (`reads`), kept cheap by per-process caches fed from the event log
(`cache`)."""
