"""The dispatcher: claim due outbox rows, send one message per recipient and channel, mark them.

Rows of one recipient (channel + address) claimed together become one message: a single notice
renders with its own template, several with the daily digest. Sending is at-least-once: rows are
claimed under a lease first (committed), then sent, then marked sent; a dispatcher killed between
"the server accepted it" and "marked sent" leaves rows whose lease runs out, and another
dispatcher sends them again — with the same Message-ID / Idempotency-Key, so receivers can drop
the repeat. Channel failures retry with exponential backoff; after `max_attempts` (or a
permanent error) a row goes to the dead letters (`partyflow reminders --status dead`, `--retry`).
"""
from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any, Mapping

from notifications.message import ChannelError, Message, PermanentChannelError
from services.app import App, naive_utc
from services.notices.deliver import INAPP, deliver_group, inapp_previews
from storage.repositories import OutboxRow


@dataclass(frozen=True)
class DispatchSettings:
    batch: int = 500  # rows claimed per round
    lease: timedelta = timedelta(minutes=5)  # how long a claim holds before another dispatcher may take over
    max_attempts: int = 12  # then dead letter: with the backoff below, about 2 hours of trying
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(minutes=15)

    def backoff(self, attempts: int) -> timedelta:
        return min(self.backoff_base * (2 ** max(0, attempts - 1)), self.backoff_cap)


@dataclass
class DispatchReport:
    claimed: int = 0
    messages: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0  # rows another dispatcher took over while this round was busy
    previews: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"claimed": self.claimed, "messages": self.messages, "sent": self.sent, "failed": self.failed,
                "dead": self.dead, "skipped": self.skipped, "previews": self.previews}


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def compose(renderer, rows: list[OutboxRow]) -> Message:
    """One message for one recipient's rows: its own template for one notice, else the digest."""
    first = rows[0]
    items = [r.payload for r in rows]
    common = {"recipient_name": first.recipient_name, "as_of": max(r.created_on for r in rows).isoformat()}
    if len(rows) == 1:
        org = items[0].get("org_name") or items[0].get("branch", "")
        subject, body = renderer.render(first.kind, item=items[0], org_name=org, **common)
        key = first.key
    else:
        subject, body = renderer.render("digest", items=items, org_name=_org_name(items), **common)
        key = "digest:" + hashlib.sha1("\n".join(r.key for r in rows).encode("utf-8")).hexdigest()
    return Message(key=key, channel=first.channel, recipient=first.address, subject=subject, body=body,
                   payload={"recipient": first.recipient_name, "items": items, "outbox_keys": [r.key for r in rows]})


def _org_name(items: list[Mapping[str, Any]]) -> str:
    names = sorted({str(i.get("org_name") or i.get("branch", "")) for i in items})
    return names[0] if len(names) == 1 else "、".join(names)


def _groups(rows: list[OutboxRow]) -> list[list[OutboxRow]]:
    """Rows per (channel, address), in the order of each recipient's oldest row. A half-year
    report is a document, not a digest item: it always goes as a message of its own."""
    def key(r: OutboxRow):
        return (r.channel, r.address, r.id if r.kind == "report" else 0)

    rows = sorted(rows, key=lambda r: (*key(r), r.id))
    groups = [list(g) for _, g in groupby(rows, key=key)]
    return sorted(groups, key=lambda g: g[0].id)


def dispatch_once(app: App, channels: Mapping[str, Any], renderer, *, worker: str | None = None,
                  now: datetime | None = None, settings: DispatchSettings = DispatchSettings(),
                  dry_run: bool = False, channel: str | None = None, address: str | None = None) -> DispatchReport:
    """One round: claim, send, mark. `now` is passed in (tests drive the clock). `channel` /
    `address` narrow the round to one channel or recipient (in-app notices delivered on demand).

    Rows of the in-app channel are not sent anywhere: their delivery is a `notice` row each,
    written in the transaction that marks them sent (services/notices/deliver.py), so in-app
    notices are delivered exactly once.

    Each message is settled at its own time (`current`: the App's clock when it is sent, or the
    fixed `now`), so a long round does not backdate marks and retry times to its start.
    """
    worker = worker or worker_id()
    fixed_clock = now is not None
    now = naive_utc(now) if now is not None else app.utcnow()
    report = DispatchReport()
    if dry_run:  # exactly what a claim would take now, rendered, without taking it
        with app.uow(read_only=True) as uow:
            rows = uow.outbox.claimable(now, settings.batch, channel, address)
        for group in _groups(rows):
            if group[0].channel == INAPP:
                report.previews += inapp_previews(renderer, group)
                continue
            msg = compose(renderer, group)
            report.previews.append({"channel": msg.channel, "recipient": msg.recipient, "subject": msg.subject,
                                    "body": msg.body, "rows": [r.id for r in group]})
        report.messages = len(report.previews)
        return report
    with app.uow() as uow:
        rows = uow.outbox.claim(worker, now, now + settings.lease, settings.batch, channel, address)
    report.claimed = len(rows)
    for group in _groups(rows):
        report.messages += 1
        ids = [r.id for r in group]
        current = now if fixed_clock else app.utcnow()
        if group[0].channel == INAPP:
            deliver_group(app, renderer, group, worker, current, current + settings.lease, report)
            continue
        sender = channels.get(group[0].channel)
        with app.uow() as uow:  # a long round may have outlived the lease: renew it, or leave the rows
            if not uow.outbox.renew(ids, worker, current + settings.lease):
                report.skipped += len(ids)
                continue
        try:
            if sender is None:
                raise PermanentChannelError(f"未配置发送渠道“{group[0].channel}”")
            try:
                message = compose(renderer, group)
            except Exception as e:  # a broken (overridden) template: retrying cannot help
                raise PermanentChannelError(f"提醒模板无法生成消息：{e}") from e
            sender.send(message)
        except PermanentChannelError as e:
            current = now if fixed_clock else app.utcnow()
            with app.uow() as uow:
                marked = uow.outbox.mark_failed(ids, worker, str(e), current, dead=True)
            report.dead += marked["dead"]
            continue
        except ChannelError as e:
            current = now if fixed_clock else app.utcnow()
            with app.uow() as uow:  # dead or not is decided per row, on its own attempts
                marked = uow.outbox.mark_failed(ids, worker, str(e), current, max_attempts=settings.max_attempts,
                                                backoff=settings.backoff)
            report.dead += marked["dead"]
            report.failed += marked["failed"]
            continue
        current = now if fixed_clock else app.utcnow()
        with app.uow() as uow:
            report.sent += uow.outbox.mark_sent(ids, worker, current)
    return report


def dispatch_all(app: App, channels, renderer, *, rounds: int = 100, **kw) -> DispatchReport:
    """Rounds until nothing due is left (bounded)."""
    total = DispatchReport()
    for _ in range(rounds):
        r = dispatch_once(app, channels, renderer, **kw)
        for k in ("claimed", "messages", "sent", "failed", "dead", "skipped"):
            setattr(total, k, getattr(total, k) + getattr(r, k))
        total.previews += r.previews
        if not r.claimed or kw.get("dry_run"):
            break
    return total
