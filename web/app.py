"""`create_app(app, secret_key=...)`: the FastAPI application over one services `App`."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from services.app import App
from services.accounts.sessions import SessionPolicy
from web import api, errors, headers
from web.routes import admin, auth, pages, queue, steps
from web.routes import cases, orgs  # exceptional paths; overdue, reports, ledger
from web.routes import contacts, findings, holidays, imports, more, notices, people, plans, records, review
from web.routes import api_tools  # the tool pages' JSON API
from web.routes import materials  # 材料: uploads, downloads, completeness (pages and API)
from web.security import STATE_COOKIE, SessionCookieMiddleware
from web.uploads import UploadBodyCap
from web.warmup import Warmup, lifespan_with


class ProxyTooWide(ValueError):
    """A "trusted proxy" network so wide it holds the clients themselves (0.0.0.0/0, ::/0): every
    client could then choose its own X-Forwarded-For and pass the per-address login throttle."""


def trusted_proxy_list(values) -> list[str]:
    """Addresses or networks (10.0.0.1, 10.0.0.0/8, ::1) as given; ValueError names a bad one,
    ProxyTooWide one wider than /8 (IPv4) or /16 (IPv6)."""
    import ipaddress

    out = []
    for value in values:
        for item in str(value).replace(",", " ").split():
            try:
                net = ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(item) from None
            if net.prefixlen < (8 if net.version == 4 else 16):
                raise ProxyTooWide(item)
            out.append(item)
    return out


def create_app(app: App, *, secret_key: str, secure_cookies: bool = True, session_policy: SessionPolicy | None = None,
               trusted_proxies=()) -> FastAPI:
    """The web application. `secret_key` signs the state cookie and the CSRF tokens (keep it secret
    and stable across restarts, or every form open in a browser must be reloaded);
    `secure_cookies=False` only for plain-HTTP development. `session_policy`: the idle and absolute
    timeouts (services/accounts/sessions.py). `trusted_proxies`: the reverse proxies (addresses or networks)
    whose X-Forwarded-For / X-Forwarded-Proto are believed; none by default, so a client cannot
    pick its own address for the login throttle."""
    if not secret_key or len(secret_key) < 16:
        raise ValueError("secret_key must be at least 16 characters")
    policy = session_policy or SessionPolicy()
    proxies = trusted_proxy_list(trusted_proxies)
    warmup = Warmup()  # the report and 文书 libraries, loaded once the server is up (web/warmup.py)
    web = FastAPI(title="partyflow 发展党员工作", version="0.1.0", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan_with(warmup))
    web.state.warmup = warmup
    # the vendored Swagger UI (swagger-ui-bundle 1.x) reads OpenAPI 3.0 documents only; the schema
    # FastAPI writes uses nothing of 3.1 that 3.0 tools misread (tests/browser/test_api_docs.py)
    web.openapi_version = "3.0.3"
    web.state.pf = app
    web.state.secret_key = secret_key
    web.state.secure_cookies = secure_cookies
    web.state.session_policy = policy
    # flash messages and the login form's CSRF token (the session itself is a database row: web/security.py)
    web.add_middleware(SessionMiddleware, secret_key=secret_key, session_cookie=STATE_COOKIE,
                       max_age=int(policy.absolute.total_seconds()), same_site="lax", https_only=secure_cookies)
    web.add_middleware(SessionCookieMiddleware, secure=secure_cookies, max_age=int(policy.absolute.total_seconds()))
    web.add_middleware(UploadBodyCap)  # a material upload's body stops at the file limit (web/uploads.py)
    errors.install(web)
    headers.install(web)  # security headers on every response; /api/docs from local files
    web.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    for router in (admin.router, auth.router, auth.api, pages.router, steps.router, queue.router, api.router, cases.router,
                   orgs.router, review.router, review.api, notices.router, records.router, findings.router, imports.router,
                   plans.router, holidays.router, people.router, contacts.router, api_tools.api, more.router,
                   materials.router, materials.api):
        web.include_router(router)
    if proxies:  # added last: the outermost layer, so every other one sees the client's address
        web.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    return web
