"""Login throttling (issue 17, finding 4): failures counted per account name from any address,
and per client address over any account names, in the database so every app process shares them.

- ACCOUNT_LIMIT failures of one account name within WINDOW lock that name for LOCK, whatever
  address the next attempts come from; a successful login of the account clears its count.
- ADDRESS_LIMIT failures from one address (any names, known or not) within WINDOW lock that
  address for LOCK. A township office behind one NAT shares an address, so this limit is higher;
  a success does not clear it (an attacker's own account would otherwise reset it).
- IPv6 addresses count by their /64 (one subscriber's whole prefix).
- While locked, even the right password is refused, before it is checked.

Unknown account names are counted and locked like real ones, so the answers never tell which
names exist. The address is the one web/security.client_ip gives: proxy headers count only from
configured trusted proxies.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from storage.repositories.sessions import ThrottleRepo, ThrottleRow

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
KEEP = timedelta(days=1)  # counters untouched this long are dropped
LIMITS = {"account": ACCOUNT_LIMIT, "address": ADDRESS_LIMIT}


def address_key(address: str) -> str:
    """The address a failure counts against: an IPv6 address by its /64, anything else as is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass
class Gate:
    """One login attempt's counters, locked for its transaction: `locked` says whether the attempt
    may go on; `record(ok)` counts its outcome."""

    repo: ThrottleRepo
    now: datetime
    rows: dict[tuple[str, str], ThrottleRow]
    account: tuple[str, str]

    @property
    def locked(self) -> tuple[str, datetime] | None:
        """(scope, until) of the lock that ends last, or None when the attempt may go on."""
        locks = [(r.locked_until, r.scope) for r in self.rows.values()
                 if r.locked_until is not None and r.locked_until > self.now]
        if not locks:
            return None
        until, scope = max(locks)
        return scope, until

    def record(self, ok: bool) -> tuple[int, datetime | None]:
        """Counts the attempt: (failures the account has left before it locks, the lock's end if
        this failure locked the account or the address)."""
        locked_now: datetime | None = None
        for key, row in self.rows.items():
            if ok:
                if key == self.account:
                    row = replace(row, failures=0, window_start=None)
            else:
                fresh = row.window_start is None or self.now - row.window_start >= WINDOW
                row = replace(row, failures=1 if fresh else row.failures + 1,
                              window_start=self.now if fresh else row.window_start)
                if row.failures >= LIMITS[row.scope]:
                    row = replace(row, failures=0, window_start=None, locked_until=self.now + LOCK)
                    locked_now = row.locked_until
            self.rows[key] = row
            self.repo.save(row, self.now)
        account = self.rows[self.account]
        return (ACCOUNT_LIMIT - account.failures if locked_now is None else 0), locked_now


def gate(uow, username: str, address: str, now: datetime) -> Gate:
    """The counters of this account name and address, locked until the unit of work ends."""
    repo = ThrottleRepo(uow.connection)
    account = ("account", username[:64])
    rows = repo.lock([account, ("address", address_key(address))], now)
    return Gate(repo, now, rows, account)


def prune(uow, now: datetime) -> int:
    return ThrottleRepo(uow.connection).prune(now - KEEP)
