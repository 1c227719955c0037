"""Accounts: web users and their roles (`users`), what a role may read and record (`access`),
server-side sessions (`sessions`) and login throttling (`throttle`)."""
