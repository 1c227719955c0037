"""API fuzzing from the OpenAPI document (/api/openapi.json) with schemathesis.

Every /api operation gets generated requests — valid ones and ones that break the schema — sent
to the ASGI app as a logged-in township officer and as a branch secretary (the session cookie and
the X-CSRF-Token header, as a real client). The property: never a 500, and every error is the
JSON error shape {"ok": false, "error", "message", "violations": [...]} whose message is Chinese
(at least one CJK character), never a framework's English default ("Not Found", "Field required").

Bounded and reproducible: a few examples per operation and mode, derandomized, no example
database; the township officer's generated writes (contacts, plans, uploads …) stay in this
test's SQLite database. The failures are collected and listed together, each with its request.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from schemathesis import GenerationMode

HAN = re.compile(r"[\u4e00-\u9fff]")
# per operation and user (both modes): ~44 operations × 3 users, ~40 s; PARTYFLOW_FUZZ_EXAMPLES=200 for a deeper run
EXAMPLES = int(os.environ.get("PARTYFLOW_FUZZ_EXAMPLES") or 15)
# the administrator reaches what the others are refused (holidays, every organisation's people and contacts)
USERS = ("town", "sec", "admin")


@pytest.fixture(autouse=True)
def _uploads(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTYFLOW_UPLOAD_DIR", str(tmp_path / "uploads"))


def problem(response) -> str | None:
    """What is wrong with one response, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status}: {response.text[:300]}"
    if status < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{status} is not JSON: {response.text[:200]}"
    if not isinstance(body, dict) or body.get("ok") is not False or not isinstance(body.get("error"), str) \
            or not isinstance(body.get("violations"), list):
        return f"{status} is not the error shape: {body}"
    messages = [body.get("message") or ""] + [v.get("message") or "" for v in body["violations"] if isinstance(v, dict)]
    if not all(isinstance(m, str) and HAN.search(m) for m in messages):
        return f"{status} has a message that is not Chinese: {body}"
    return None


def _strategy(operation):
    modes = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    try:
        modes.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    except Exception:  # noqa: BLE001 — an operation with nothing to break has no negative cases
        pass
    return st.one_of(modes)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the web layer is fuzzed; one database is enough
def test_every_api_operation_answers_without_500_and_in_chinese(app, web, world, users, login):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", web)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 44 and all(op.path.startswith("/api/") for op in operations)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for name in USERS:
        client = login(name)
        token = client.get("/api/me").json()["csrf_token"]
        cookies = {"partyflow_session": client.cookies.get("partyflow_session")}

        for operation in operations:
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=_strategy(operation))
            def run(case):
                try:
                    response = case.call(headers={"X-CSRF-Token": token}, cookies=cookies)
                    statuses[response.status_code] += 1
                    wrong = problem(response)
                except Exception as e:  # noqa: BLE001 — the test client re-raises what the server answers with 500
                    wrong = f"500: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
                if wrong:
                    failures.append(f"{name} {case.method} {case.formatted_path} query={case.query} "
                                    f"body={str(case.body)[:200]}: {wrong}")

            run()
    unique = list(dict.fromkeys(re.sub(r"query=.*?: ", "", f) for f in failures))
    # the fuzzing reached the routes' own answers, not only the request validation
    assert statuses[200] > 50 and statuses[422] > 50 and statuses[404] > 10 and statuses[403] > 10, statuses
    assert not failures, f"{len(failures)} bad responses, e.g.:\n" + "\n".join(unique[:20])


def test_every_api_route_is_in_the_openapi_document(web):
    """What the fuzzing reads is every /api route the app serves (a route left out of the schema is
    never fuzzed): only the document itself, its viewer, and login/logout (before a session, tested
    in test_web_sessions/test_web_throttle) may be missing."""
    schema = web.openapi()
    documented = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    served = {(m, r.path) for r in web.routes for m in (getattr(r, "methods", None) or ())
              if r.path.startswith("/api/") and m != "HEAD"}
    missing = {x for x in served - documented
               if x[1] not in ("/api/openapi.json", "/api/docs", "/api/login", "/api/logout")}
    assert not missing and len(documented) >= 44, sorted(missing)


def test_the_property_catches_english_and_bad_shapes():
    """The checker itself: it accepts the app's errors and rejects the defaults it must never see."""

    class R:
        def __init__(self, status, body=None, text=""):
            self.status_code, self._body, self.text = status, body, text

        def json(self):
            if self._body is None:
                raise ValueError("not json")
            return self._body

    good = {"ok": False, "error": "invalid", "message": "请求格式不正确",
            "violations": [{"code": "invalid", "message": "组织格式不正确"}]}
    assert problem(R(422, good)) is None and problem(R(200, {"anything": 1})) is None
    assert problem(R(404, {"detail": "Not Found"}))
    assert problem(R(422, {**good, "violations": [{"message": "Field required"}]}))
    assert problem(R(403, {**good, "message": "Forbidden"}))
    assert problem(R(400, None, "<html>"))
    assert problem(R(500, {**good, "error": "server", "message": "服务器内部错误"}))


HOSTILE_NAMES = ["\u202e\u200b\ufeff王", "\x1b[31m王\x1b[0m", "王" * 40000, "王\x00", "\ud800王"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_hostile_names_through_the_json_api_are_one_chinese_refusal(app, world, login):
    """The reproductions of finding 5 through POST /api/people: 422 naming 姓名, nothing written; a
    lone surrogate (legal in JSON's \\ud800 escape) too, never a 500 from encoding the answer."""
    client = login("town")
    token = client.get("/api/me").json()["csrf_token"]
    before = client.get("/api/people").json()
    for name in HOSTILE_NAMES:
        body = '{"name": %s, "gender": "男", "birth_date": "1990-01-01", "branch_id": %d}' % (
            json.dumps(name), world.b1)  # ensure_ascii: the surrogate travels as \ud800
        r = client.post("/api/people", content=body.encode(), headers={"X-CSRF-Token": token,
                                                                        "Content-Type": "application/json"})
        assert r.status_code == 422 and problem(r) is None, (name[:10], r.status_code, r.text[:200])
        assert "姓名" in r.json()["message"] + str(r.json()["violations"])
    for birth in ("1800-01-01", "2030-01-01"):
        body = {"name": "张三", "gender": "男", "birth_date": birth, "branch_id": world.b1}
        r = client.post("/api/people", json=body, headers={"X-CSRF-Token": token})
        assert r.status_code == 422 and "出生日期" in r.text
    assert client.get("/api/people").json() == before
