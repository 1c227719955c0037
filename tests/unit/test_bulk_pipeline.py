"""storage.bulk_load.PipelinedWriter: batches written in order by a second thread; an error there
reaches the caller and nothing after it is written."""
from __future__ import annotations

import threading

import pytest

from storage.bulk_load import PipelinedWriter


class _Recorder:
    """A BulkWriter stand-in: records (thread, table, rows); fails on a chosen table."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, str, list]] = []
        self.fail_on = fail_on

    def write(self, table, rows):
        if table == self.fail_on:
            raise RuntimeError(f"cannot write {table}")
        self.calls.append((threading.current_thread().name, table, list(rows)))


def test_batches_are_written_in_order_by_the_writer_thread_and_reported():
    w, done = _Recorder(), []
    with PipelinedWriter(w, done=lambda b: done.append([t for t, _ in b])) as pipe:
        for i in range(5):
            pipe.put([("candidate", [(i,)]), ("event", [(i, 1), (i, 2)]), ("finding", [])])
    assert [(t, rows) for _, t, rows in w.calls] == [
        (t, rows) for i in range(5) for t, rows in (("candidate", [(i,)]), ("event", [(i, 1), (i, 2)]))]
    assert {name for name, _, _ in w.calls} == {"partyflow-bulk-writer"}  # empty tables skipped, other thread
    assert done == [["candidate", "event", "finding"]] * 5


def test_an_error_in_the_writer_reaches_the_caller_and_stops_the_writing():
    w = _Recorder(fail_on="event")
    with pytest.raises(RuntimeError, match="cannot write event"):
        with PipelinedWriter(w) as pipe:
            for i in range(50):
                pipe.put([("candidate", [(i,)]), ("event", [(i, 1)])])
    assert [t for _, t, _ in w.calls] == ["candidate"]  # the first batch's candidates only


def test_an_error_in_the_caller_waits_for_the_writer_and_keeps_the_callers_error():
    w = _Recorder()
    with pytest.raises(ValueError, match="bad row"):
        with PipelinedWriter(w) as pipe:
            pipe.put([("candidate", [(1,)])])
            raise ValueError("bad row")
    assert [t for _, t, _ in w.calls] == ["candidate"]  # the writer finished before the caller went on
