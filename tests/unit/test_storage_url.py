"""`--db` / $PARTYFLOW_DATABASE_URL: a URL or the path of a SQLite file (storage.db.database_url)."""
from __future__ import annotations

import pytest

from storage.db import database_url
from storage.errors import BadDatabaseAddress, StorageError


def test_a_path_is_a_sqlite_file_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    u = database_url("data/pf.db")
    assert u.get_backend_name() == "sqlite" and u.database == str(tmp_path / "data" / "pf.db")


def test_a_home_path_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert database_url("~/pf.db").database == str(tmp_path / "pf.db")


@pytest.mark.parametrize("url", ["sqlite:////tmp/x.db", "sqlite://", "postgresql+psycopg://postgres@127.0.0.1:5432/test"])
def test_a_url_is_taken_as_it_is(url):
    assert database_url(url).render_as_string(hide_password=False) == url


@pytest.mark.parametrize("text", ["", "   ", "postgresql://u@h:notaport/db"])
def test_anything_else_is_refused_in_chinese(text):
    with pytest.raises(BadDatabaseAddress) as e:
        database_url(text)
    assert isinstance(e.value, StorageError) and "数据库地址" in str(e.value)


@pytest.mark.parametrize("version, refused", [((3, 34, 1), True), ((3, 35, 0), False), ((3, 35, 5), False)])
def test_a_sqlite_older_than_3_35_is_refused_in_chinese(tmp_path, monkeypatch, version, refused):
    """The migrations drop columns (SQLite 3.35): an older library is refused before any SQL runs."""
    import sqlite3

    from storage.db import make_engine
    from storage.errors import SQLiteTooOld

    monkeypatch.setattr(sqlite3, "sqlite_version_info", version)
    if refused:
        with pytest.raises(SQLiteTooOld, match=r"SQLite 版本为 3\.34\.1，低于 partyflow 所需的 3\.35\.0"):
            make_engine(f"sqlite:///{tmp_path / 'pf.db'}")
        assert not (tmp_path / "pf.db").exists()
    else:
        make_engine(f"sqlite:///{tmp_path / 'pf.db'}").dispose()
