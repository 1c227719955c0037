"""The dispatcher against a real HTTP receiver on loopback, on SQLite and PostgreSQL.

The clock is driven: every round gets `now=` (and the App's clock follows it where rows are
created), so an hour of outage with a round every minute takes well under a second. The channel
is the real WebhookChannel posting JSON with an `Idempotency-Key` header to tests.support.http_sink,
and every contact's webhook URL is a path on that sink, so each path is one recipient.
"""
from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from notifications.channels.webhook import WebhookChannel
from notifications.render import Renderer
from services.casework import candidates as uc
from services.app import SHANGHAI
from services.notices.dispatch import DispatchSettings, dispatch_once
from services.notices.reminders import scan
from tests.support.http_sink import HttpSink

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)  # the `app` fixture's clock
AS_OF = date(2018, 3, 1)  # scan day: applications of late January 2018 are overdue (first talk, 第七条)


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def sink():
    with HttpSink(lifetime=60) as s:
        yield s


@pytest.fixture
def channels():
    return {"webhook": WebhookChannel(timeout=3.0)}


@pytest.fixture
def renderer():
    return Renderer(env={})  # the built-in templates, whatever PARTYFLOW_TEMPLATE_DIR says


@pytest.fixture
def hooks(app, town, sink):
    """Branch secretaries of b1 and b2 and the township officer, each reached at its own sink path."""
    with app.uow() as uow:
        township = uow.orgs.by_code("t").id
        uow.contacts.add(town["b1"], "branch_secretary", "贺丰村书记", webhook_url=sink.url("/hook/b1"))
        uow.contacts.add(town["b2"], "branch_secretary", "东王村书记", webhook_url=sink.url("/hook/b2"))
        uow.contacts.add(township, "township_officer", "南川乡组织委员", webhook_url=sink.url("/hook/t"))
    return {"b1": sink.url("/hook/b1"), "b2": sink.url("/hook/b2")}


_seq = iter(range(1, 1_000_000))


def apply(app, branch_id: int, n: int = 1, applied_on: date = date(2018, 1, 25)) -> list[int]:
    """n applicants in a branch; their first talk is due a month later (overdue on AS_OF)."""
    cids = []
    for _ in range(n):
        with app.uow() as uow:
            person = uow.people.add(name=f"申请人{next(_seq)}", gender="女", birth_date=date(1995, 5, 1))
        cids.append(uc.register_applicant(app, person_id=person, branch_id=branch_id, occurred_on=applied_on,
                                          actor="书记").candidate_id)
    return cids


def rows(app):
    with app.uow(read_only=True) as uow:
        return sorted(uow.outbox.list(limit=10_000), key=lambda r: r.id)


def by_address(app, address: str):
    return [r for r in rows(app) if r.address == address]


def delivered_ids(app, sink, address: str) -> list[int]:
    """Row ids in the order they reached `address` (messages in arrival order, keys within each)."""
    ids = {r.key: r.id for r in rows(app)}
    path = address.split(str(sink.port), 1)[1]
    return [ids[k] for rec in sink.delivered() if rec.path == path for k in rec.outbox_keys]


# -- one message per recipient -----------------------------------------------------------------


def test_one_digest_per_recipient_each_notice_once(app, town, hooks, sink, channels, renderer):
    three = apply(app, town["b1"], 3)
    [one] = apply(app, town["b2"], 1)
    assert scan(app, AS_OF).created == 4

    report = dispatch_once(app, channels, renderer, now=T0, worker="w1")

    assert (report.claimed, report.messages, report.sent, report.failed, report.dead) == (4, 2, 4, 0, 0)
    assert len(sink.received) == 2
    digest, single = sorted(sink.delivered(), key=lambda r: r.path)
    b1_rows, [b2_row] = by_address(app, hooks["b1"]), by_address(app, hooks["b2"])
    # three notices for one secretary: ONE digest message carrying all three keys, in row order
    assert digest.path == "/hook/b1" and digest.key.startswith("digest:")
    assert digest.outbox_keys == [r.key for r in b1_rows]
    assert sorted(r.candidate_id for r in b1_rows) == sorted(three)
    assert "逾期 3 项" in digest.json["subject"] and digest.json["text"].startswith("贺丰村书记")
    assert all(r.payload["candidate_name"] in digest.json["text"] for r in b1_rows)
    # a single notice: its own template, the row's own key as Idempotency-Key
    assert single.path == "/hook/b2" and single.key == b2_row.key == single.json["key"]
    assert b2_row.candidate_id == one
    assert single.outbox_keys == [b2_row.key] and "已逾期" in single.json["subject"]
    assert "digest" not in single.key and "东王村书记" in single.json["text"]
    for rec in sink.delivered():
        assert rec.headers["Idempotency-Key"] == rec.json["key"]
    # marked sent, claims released
    assert all(r.status == "sent" and r.sent_at == utc(T0) and r.claimed_by is None for r in rows(app))

    again = dispatch_once(app, channels, renderer, now=T0 + timedelta(hours=1), worker="w2")
    assert (again.claimed, again.messages, again.sent) == (0, 0, 0)
    assert len(sink.received) == 2


# -- (c) a channel down for an hour ------------------------------------------------------------


def test_channel_down_for_an_hour_then_everything_in_order(app, town, hooks, sink, channels, renderer):
    """503 for half an hour, connection refused for the next half; a round every simulated minute."""
    clock = {"now": T0}
    app.clock = lambda: clock["now"]
    settings = DispatchSettings()
    apply(app, town["b1"], 2)
    apply(app, town["b2"], 1)
    scan(app, AS_OF)
    first = by_address(app, hooks["b1"])[0]
    created_during = {}
    history = []  # (minute, attempts, next_attempt_at) of b1's oldest row, on every change

    sink.respond(503)
    for minute in range(61):
        clock["now"] = now = T0 + timedelta(minutes=minute)
        if minute == 30:
            sink.down()  # from 503 to connection refused
        if minute == 20:  # new notices while the old ones wait: they must queue behind them
            created_during["b1"] = apply(app, town["b1"], 1)[0]
            created_during["b2"] = apply(app, town["b2"], 1)[0]
            assert scan(app, AS_OF).created == 2
        if minute == 60:  # the channel is back, but b1's rows wait for their retry at minute 61 ...
            sink.up()
            sink.heal()
            created_during["b1-late"] = apply(app, town["b1"], 1)[0]  # ... so this new one must wait too
            assert scan(app, AS_OF).created == 1
        report = dispatch_once(app, channels, renderer, now=now, settings=settings, worker="w")
        assert report.sent == 0 and report.dead == 0
        current = rows(app)
        assert all(r.status == "pending" and r.sent_at is None for r in current)  # nothing marked sent
        oldest = next(r for r in current if r.id == first.id)
        if not history or history[-1][1] != oldest.attempts:
            history.append((minute, oldest.attempts, oldest.next_attempt_at))
        if minute == 60:
            assert report.claimed == 0  # the row created at minute 60 did not overtake the waiting ones

    assert sink.delivered() == []
    assert len(current) == 6  # nothing lost: 3 before, 2 during, 1 as it came back
    # the backoff doubled from 30 s up to the 15 min cap: tries at minutes 0, 1, 2, 4, 8, 16, 31, 46
    expected, due, attempts = [], utc(T0), 0
    for minute in range(61):
        now = utc(T0 + timedelta(minutes=minute))
        if now >= due:
            attempts += 1
            due = now + settings.backoff(attempts)
            expected.append((minute, attempts, due))
    assert history == expected
    assert [m for m, _, _ in expected] == [0, 1, 2, 4, 8, 16, 31, 46]
    waits = [due - utc(T0 + timedelta(minutes=m)) for m, _, due in expected]
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 900, 900, 900)]
    # the 503 half: every request to b1 carried the oldest row (no newer notice went alone)
    b1_requests = [r for r in sink.received if r.path == "/hook/b1"]
    assert b1_requests and all(first.key in r.outbox_keys for r in b1_requests)
    during = next(r for r in current if r.candidate_id == created_during["b1"])
    assert during.attempts == 2  # tried only with the older ones (minutes 31 and 46)

    # minute 61: everything goes, one message per recipient, each recipient's rows in creation order
    clock["now"] = T0 + timedelta(minutes=61)
    report = dispatch_once(app, channels, renderer, now=clock["now"], settings=settings, worker="w")
    assert (report.claimed, report.messages, report.sent) == (6, 2, 6)
    # and one more after the channel is back: a separate, later message
    created_during["b1-after"] = apply(app, town["b1"], 1)[0]
    scan(app, AS_OF)
    report = dispatch_once(app, channels, renderer, now=T0 + timedelta(minutes=62), settings=settings, worker="w")
    assert (report.messages, report.sent) == (1, 1)

    final = rows(app)
    assert all(r.status == "sent" for r in final) and len(final) == 7
    assert sink.outbox_key_counts() == {r.key: 1 for r in final}
    for address in (hooks["b1"], hooks["b2"]):
        mine = [r.id for r in final if r.address == address]
        assert delivered_ids(app, sink, address) == sorted(mine)
    b1_order = [next(r.candidate_id for r in final if r.id == i) for i in delivered_ids(app, sink, hooks["b1"])]
    assert b1_order[-3:] == [created_during["b1"], created_during["b1-late"], created_during["b1-after"]]


# -- dead letters ------------------------------------------------------------------------------


def test_dead_letters_and_retry(app, town, db_url, sink, channels, renderer):
    settings = DispatchSettings(max_attempts=4)
    with app.uow() as uow:
        uow.contacts.add(town["b1"], "branch_secretary", "贺丰村书记", webhook_url=sink.url("/refuses"))
        uow.contacts.add(town["b2"], "branch_secretary", "东王村书记", webhook_url=sink.url("/busy"))
    apply(app, town["b1"], 1)
    apply(app, town["b2"], 1)
    scan(app, AS_OF)
    [refused] = [r for r in rows(app) if r.address.endswith("/refuses")]
    [busy] = [r for r in rows(app) if r.address.endswith("/busy")]
    sink.respond(400, "/refuses")  # a permanent error: dead at once
    sink.respond(503, "/busy")  # a temporary one: dead after max_attempts

    now = T0
    report = dispatch_once(app, channels, renderer, now=now, settings=settings)
    assert (report.dead, report.failed) == (1, 1)
    row = {r.id: r for r in rows(app)}
    assert row[refused.id].status == "dead" and row[refused.id].attempts == 1
    assert "HTTP 400" in row[refused.id].last_error and "拒绝" in row[refused.id].last_error
    for attempt in range(2, 5):
        now = row[busy.id].next_attempt_at.replace(tzinfo=UTC)
        assert row[busy.id].status == "pending" and row[busy.id].attempts == attempt - 1
        dispatch_once(app, channels, renderer, now=now - timedelta(seconds=1), settings=settings)  # not yet due
        assert {r.id: r for r in rows(app)}[busy.id].attempts == attempt - 1
        dispatch_once(app, channels, renderer, now=now, settings=settings)
        row = {r.id: r for r in rows(app)}
    assert row[busy.id].status == "dead" and row[busy.id].attempts == 4 and "HTTP 503" in row[busy.id].last_error
    assert [r.path for r in sink.received].count("/busy") == 4
    assert [r.path for r in sink.received].count("/refuses") == 1
    later = now + timedelta(days=1)
    assert dispatch_once(app, channels, renderer, now=later, settings=settings).claimed == 0  # dead stays dead

    cli = CliRunner()
    listed = cli.invoke(_cli_app(), ["reminders", "--db", db_url, "--status", "dead", "--json"])
    assert listed.exit_code == 0, listed.output
    assert sorted(i["id"] for i in _json(listed)["items"]) == sorted([refused.id, busy.id])

    sink.heal()
    with app.uow() as uow:  # the repository: one id
        assert uow.outbox.retry([refused.id], utc(later)) == 1
    result = cli.invoke(_cli_app(), ["reminders", "--db", db_url, "--retry", "all", "--json"])  # the CLI: the rest
    assert result.exit_code == 0, result.output
    assert _json(result) == {"ok": True, "requeued": 1}
    row = {r.id: r for r in rows(app)}
    assert all(r.status == "pending" and r.attempts == 0 for r in row.values())
    due = max(r.next_attempt_at for r in row.values()).replace(tzinfo=UTC)  # the CLI used the real clock
    report = dispatch_once(app, channels, renderer, now=max(due, later), settings=settings)
    assert report.sent == 2
    assert all(r.status == "sent" for r in rows(app))
    assert sink.outbox_key_counts() == {refused.key: 1, busy.key: 1}


def _cli_app():
    from cli.main import app as cli_app

    return cli_app


def _json(result):
    import json

    return json.loads(result.stdout)


# -- leases ------------------------------------------------------------------------------------


def test_expired_lease_is_taken_over_and_the_late_mark_is_ignored(app, town, hooks, sink, channels, renderer):
    settings = DispatchSettings()
    apply(app, town["b1"], 2)
    apply(app, town["b2"], 1)
    scan(app, AS_OF)
    with app.uow() as uow:  # worker A claims everything, then hangs (or dies) before sending
        claimed = uow.outbox.claim("A", utc(T0), utc(T0 + settings.lease), settings.batch)
    ids = [r.id for r in claimed]
    assert len(ids) == 3 and all(r.claimed_by == "A" for r in rows(app))

    during = dispatch_once(app, channels, renderer, now=T0 + settings.lease - timedelta(seconds=1), worker="B")
    assert during.claimed == 0 and sink.received == []  # the lease holds
    after = T0 + settings.lease + timedelta(seconds=1)
    report = dispatch_once(app, channels, renderer, now=after, worker="B")
    assert (report.claimed, report.sent) == (3, 3)

    with app.uow() as uow:  # A wakes up: its marks change nothing
        assert uow.outbox.mark_sent(ids, "A", utc(after + timedelta(minutes=1))) == 0
        uow.outbox.mark_failed(ids, "A", "late", utc(after + timedelta(hours=1)), dead=True)
    assert all(r.status == "sent" and r.sent_at == utc(after) and r.attempts == 0 and r.last_error is None
               for r in rows(app))
    assert sink.outbox_key_counts() == {r.key: 1 for r in rows(app)}


def test_late_mark_while_the_new_holder_still_sends(app, town, hooks):
    settings = DispatchSettings()
    apply(app, town["b1"], 1)
    scan(app, AS_OF)
    with app.uow() as uow:
        [a] = uow.outbox.claim("A", utc(T0), utc(T0 + settings.lease), 10)
    later = utc(T0 + settings.lease + timedelta(seconds=1))
    with app.uow() as uow:
        assert uow.outbox.claim("A2", utc(T0) + timedelta(seconds=1), later, 10) == []  # still A's
        [b] = uow.outbox.claim("B", later, later + settings.lease, 10)
    assert b.id == a.id and b.claimed_by == "B"
    with app.uow() as uow:
        assert uow.outbox.mark_sent([a.id], "A", later) == 0
    [row] = rows(app)
    assert row.status == "pending" and row.claimed_by == "B"
    with app.uow() as uow:
        assert uow.outbox.mark_sent([a.id], "B", later) == 1


def test_concurrent_workers_share_the_rows_none_twice(app, town, sink, channels, renderer):
    """Three dispatchers in threads, small batches, a slow receiver: SKIP LOCKED on PostgreSQL,
    BEGIN IMMEDIATE on SQLite; every message exactly once, and the work really was shared."""
    sink.delay = 0.02
    with app.uow() as uow:
        township = uow.orgs.by_code("t").id
        branches = [uow.orgs.add(code=f"x{i}", name=f"第{i}村党支部", level="branch", kind="rural", parent_id=township)
                    for i in range(12)]
        for i, b in enumerate(branches):
            uow.contacts.add(b, "branch_secretary", f"第{i}村书记", webhook_url=sink.url(f"/hook/x{i}"))
    for b in branches:
        apply(app, b, 1)
    scan(app, AS_OF)
    settings = DispatchSettings(batch=2)
    sent: dict[str, int] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            total = 0
            while True:
                report = dispatch_once(app, channels, renderer, now=T0, worker=name, settings=settings)
                total += report.sent
                if not report.claimed:
                    break
            sent[name] = total
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors and not any(t.is_alive() for t in threads)
    assert sum(sent.values()) == 12
    assert sum(1 for n in sent.values() if n) >= 2, sent
    assert set(sink.key_counts().values()) == {1} and len(sink.key_counts()) == 12
    assert all(r.status == "sent" for r in rows(app))


# -- dry run -----------------------------------------------------------------------------------


def test_dry_run_sends_nothing_and_changes_nothing(app, town, hooks, db_url, sink, channels, renderer):
    apply(app, town["b1"], 2)
    apply(app, town["b2"], 1)
    scan(app, AS_OF)
    before = rows(app)
    report = dispatch_once(app, channels, renderer, now=T0, dry_run=True)
    assert report.messages == 2 and report.claimed == 0 and report.sent == 0
    assert {p["recipient"] for p in report.previews} == {hooks["b1"], hooks["b2"]}
    assert all(p["subject"] and p["body"] for p in report.previews)
    result = CliRunner().invoke(_cli_app(), ["dispatch", "--db", db_url, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "【预演，未发送】将发送 2 封/条消息" in result.output
    assert sink.received == []
    assert rows(app) == before


# -- leases and order under several dispatchers ------------------------------------------------


def test_newer_row_does_not_overtake_an_older_one_in_flight(app, town, hooks):
    apply(app, town["b1"], 1)
    scan(app, AS_OF)
    lease = DispatchSettings().lease
    with app.uow() as uow:  # dispatcher A holds b1's row and is sending it (slow gateway)
        [older] = uow.outbox.claim("A", utc(T0), utc(T0 + lease), 500)
    apply(app, town["b1"], 1)  # the next scan adds a newer notice for the same secretary
    scan(app, AS_OF)
    with app.uow() as uow:  # dispatcher B, one tick later
        taken = uow.outbox.claim("B", utc(T0) + timedelta(seconds=1), utc(T0 + lease), 500)
    assert [r.id for r in taken if r.address == older.address] == []  # B would send the newer one first


def test_a_round_longer_than_its_lease_sends_nothing_twice(app, town, hooks, sink, channels, renderer):
    apply(app, town["b1"], 1)
    apply(app, town["b2"], 1)
    scan(app, AS_OF)
    settings = DispatchSettings()
    first_arrived, release = threading.Event(), threading.Event()

    def slow_first(record):  # the gateway hangs on A's first message (still inside the channel timeout)
        if not first_arrived.is_set():
            first_arrived.set()
            release.wait(10)

    sink.on_request = slow_first
    a = threading.Thread(target=dispatch_once, args=(app, channels, renderer),
                         kwargs={"now": T0, "worker": "A", "settings": settings})
    a.start()
    try:
        assert first_arrived.wait(10)
        # the lease has run out by B's clock: B takes over both rows and sends them
        report = dispatch_once(app, channels, renderer, now=T0 + settings.lease + timedelta(seconds=1), worker="B",
                               settings=settings)
        assert report.sent == 2
    finally:
        release.set()
        a.join(10)
    # A's in-flight message may repeat (the documented window); A's *next* message must not
    in_flight = sink.received[0].key
    repeats = {k: n for k, n in sink.key_counts().items() if n > 1 and k != in_flight}
    assert repeats == {}


# -- review findings: per-row dead letters, per-message times, the dry run = the claim ---------


def test_a_fresh_notice_with_an_old_failing_one_keeps_its_own_retries(app, town, hooks, sink, channels, renderer):
    """Finding 12: dead is decided per row (its own attempts), not by the group's maximum."""
    settings = DispatchSettings(max_attempts=3)
    apply(app, town["b1"], 1)
    scan(app, AS_OF)
    sink.respond(503)
    now = T0
    for _ in range(2):  # the old row fails twice: one attempt left
        dispatch_once(app, channels, renderer, now=now, settings=settings, worker="w")
        now = max(r.next_attempt_at for r in rows(app)).replace(tzinfo=UTC)
    apply(app, town["b1"], 1)  # a fresh notice for the same secretary: sent together with the old one
    scan(app, AS_OF)
    old, fresh = by_address(app, hooks["b1"])
    assert (old.attempts, fresh.attempts) == (2, 0)
    report = dispatch_once(app, channels, renderer, now=now, settings=settings, worker="w")
    assert (report.messages, report.dead, report.failed) == (1, 1, 1)
    old, fresh = by_address(app, hooks["b1"])
    assert old.status == "dead" and old.attempts == 3
    assert fresh.status == "pending" and fresh.attempts == 1
    assert fresh.next_attempt_at == utc(now) + settings.backoff(1)  # its own backoff, from its own count


def test_marks_use_the_time_of_each_message_not_the_round_start(app, town, hooks, sink, channels, renderer):
    """Finding 12: without a fixed `now`, sent_at and the retry time are the clock at that message."""
    apply(app, town["b1"], 1)
    apply(app, town["b2"], 1)
    scan(app, AS_OF)
    ticks = iter(T0 + timedelta(minutes=m) for m in range(100))
    app.clock = lambda: next(ticks)
    sink.respond(503, "/hook/b2")
    report = dispatch_once(app, channels, renderer, worker="w")
    assert (report.sent, report.failed) == (1, 1)
    [b1], [b2] = by_address(app, hooks["b1"]), by_address(app, hooks["b2"])
    round_start = utc(T0)
    assert b1.sent_at > round_start
    assert b2.next_attempt_at > round_start + DispatchSettings().backoff(1)


def test_dry_run_previews_exactly_what_a_claim_takes(app, town, hooks, sink, channels, renderer):
    """Finding 21: oldest first, without rows held by a live claim or queued behind one."""
    apply(app, town["b1"], 1)
    apply(app, town["b2"], 1)
    scan(app, AS_OF)
    lease = DispatchSettings().lease
    with app.uow() as uow:  # another dispatcher is sending b1's row right now
        [held] = uow.outbox.claim("A", utc(T0), utc(T0 + lease), 1)
    assert held.address == hooks["b1"]
    apply(app, town["b1"], 1)  # b1's newer row must wait behind the one in flight
    scan(app, AS_OF)
    later = T0 + timedelta(seconds=1)
    with app.uow(read_only=True) as uow:
        would = [r.id for r in uow.outbox.claimable(utc(later), 500)]
    preview = dispatch_once(app, channels, renderer, now=later, dry_run=True)
    assert [p["recipient"] for p in preview.previews] == [hooks["b2"]]
    assert [i for p in preview.previews for i in p["rows"]] == would
    with app.uow() as uow:
        taken = [r.id for r in uow.outbox.claim("B", utc(later), utc(later + lease), 500)]
    assert taken == would
