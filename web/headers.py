"""Security headers on every response, and the OpenAPI page served without the internet.

Every response gets (unless the endpoint set its own):
- `Content-Security-Policy`: scripts, styles, images, fonts, forms and fetches from this site
  only; no inline script or style (the templates have none), no plugins, no `<base>`, and no
  framing (`frame-ancestors 'none'`). The API docs page alone allows inline *styles*
  (Swagger UI sets some); its start-up script is a file (static/api-docs.js), not inline.
- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (older browsers),
  `Referrer-Policy: same-origin`, `Cross-Origin-Opener-Policy: same-origin`,
  `Permissions-Policy` (no camera, microphone, geolocation…).
- `Cache-Control: no-store` on pages and API answers (candidates' personal data must not stay in
  a shared office PC's cache or come back with the back button after logout); static files keep
  the default caching.
- `Strict-Transport-Security` when the request came over HTTPS (behind the reverse proxy with
  `--proxy-headers`): never on plain-HTTP development.

It is a plain ASGI middleware (no per-request task or body buffering), so it costs microseconds.

API docs: Swagger UI's files come from the `swagger-ui-bundle` package (a pip dependency) and are
served under /api/docs-assets/; nothing is loaded from a CDN, so /api/docs works on an intranet.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATH = "/api/docs"
ASSETS_PATH = "/api/docs-assets"

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000")


def security_headers(path: str, scheme: str) -> list[tuple[bytes, bytes]]:
    """The headers above for a response to `path` over `scheme` (the middleware's, and the 500
    page's: Starlette answers an unhandled error outside every user middleware)."""
    static = path.startswith(("/static/", ASSETS_PATH + "/"))
    extra = [(b"content-security-policy", (DOCS_CSP if path == DOCS_PATH else CSP).encode()), *_COMMON]
    if not static:
        extra.append((b"cache-control", b"no-store"))
    if scheme == "https":
        extra.append(_HSTS)
    return extra


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = security_headers(scope.get("path", ""), scope.get("scheme", "http"))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def _swagger_dir() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # the package is a dependency; without it /api/docs says so
        return None
    return Path(swagger_ui_path)


DOCS_HTML = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def install(web: FastAPI) -> None:
    """The headers middleware and the local API docs page (create FastAPI with docs_url=None)."""
    web.add_middleware(SecurityHeaders)
    folder = _swagger_dir()
    if folder is not None:
        web.mount(ASSETS_PATH, StaticFiles(directory=str(folder)), name="swagger-ui")

    @web.get(DOCS_PATH, include_in_schema=False)
    def api_docs():
        if folder is None:
            return HTMLResponse("<p>未安装 swagger-ui-bundle，无法显示接口文档；"
                                f"接口说明见 <a href=\"{web.openapi_url}\">{web.openapi_url}</a></p>", status_code=503)
        return HTMLResponse(DOCS_HTML.format(title=web.title, assets=ASSETS_PATH, openapi=web.openapi_url))
