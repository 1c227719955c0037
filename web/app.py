"""`create_app(app, secret_key=...)`: the FastAPI application over one services `App`."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from services.app import App
from web import api, errors, headers
from web.routes import admin, auth, pages, queue, steps
from web.routes import cases, orgs  # exceptional paths; overdue, reports, ledger
from web.routes import contacts, findings, holidays, imports, more, notices, people, plans, records, review
from web.routes import api_tools  # the tool pages' JSON API

SESSION_COOKIE = "partyflow_session"
SESSION_MAX_AGE = 8 * 3600  # a working day; then log in again


def create_app(app: App, *, secret_key: str, secure_cookies: bool = True) -> FastAPI:
    """The web application. `secret_key` signs the session cookie (keep it secret and stable across
    restarts, or everyone is logged out); `secure_cookies=False` only for plain-HTTP development."""
    if not secret_key or len(secret_key) < 16:
        raise ValueError("secret_key must be at least 16 characters")
    web = FastAPI(title="partyflow 发展党员工作", version="0.1.0", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    # the vendored Swagger UI (swagger-ui-bundle 1.x) reads OpenAPI 3.0 documents only; the schema
    # FastAPI writes uses nothing of 3.1 that 3.0 tools misread (tests/browser/test_api_docs.py)
    web.openapi_version = "3.0.3"
    web.state.pf = app
    web.add_middleware(SessionMiddleware, secret_key=secret_key, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="lax", https_only=secure_cookies)
    errors.install(web)
    headers.install(web)  # security headers on every response; /api/docs from local files
    web.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    for router in (admin.router, auth.router, pages.router, steps.router, queue.router, api.router, cases.router,
                   orgs.router, review.router, review.api, notices.router, records.router, findings.router, imports.router,
                   plans.router, holidays.router, people.router, contacts.router, api_tools.api, more.router):
        web.include_router(router)
    return web
