"""Security headers on every kind of response; no inline scripts or styles the policy would block;
the API docs page works from local files (no CDN)."""
from __future__ import annotations

import re

import pytest

from tests.web.web_support import Client
from web.headers import CSP

EXPECTED = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _check(r, *, cached_ok: bool = False) -> None:
    for k, v in EXPECTED.items():
        assert r.headers.get(k) == v, (r.request.url, k, r.headers.get(k))
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    if not cached_ok:
        assert r.headers.get("cache-control") == "no-store", r.request.url
    assert "strict-transport-security" not in r.headers  # plain HTTP: never


def test_every_kind_of_response_has_the_headers(web, world, users, login):
    anon = Client(web)
    sec, admin = login("sec"), login("admin")
    _check(anon.get("/login"))
    _check(anon.get("/", follow_redirects=False))                    # 303 to the login page
    _check(anon.get("/api/me"))                                       # 401 JSON
    _check(anon.post("/login", data={"username": "x", "password": "y"}))  # 403 CSRF
    _check(sec.get("/"))
    _check(sec.get(f"/candidates/{world.fresh}"))
    _check(sec.get(f"/candidates/{world.b3_candidate}"))             # 403
    _check(sec.get("/candidates/999999"))                            # 404
    _check(sec.get("/no/such/page"))
    _check(sec.get("/api/week"))
    _check(admin.get("/admin/orgs"))
    _check(admin.get("/api/openapi.json"))
    static = anon.get("/static/app.css")
    _check(static, cached_ok=True)
    assert static.headers.get("cache-control") != "no-store"
    anon.close()


def test_hsts_only_over_https(web):
    with Client(web, base_url="https://testserver") as c:
        r = c.get("/login")
    assert r.headers["strict-transport-security"] == "max-age=31536000"


def test_pages_have_no_inline_script_or_style(web, world, users, login):
    """What the policy would block: <script> without src, <style>, style="", on…="" handlers."""
    sec, town, admin = login("sec"), login("town"), login("admin")
    pages = [Client(web).get("/login").text]
    pages += [sec.get(u).text for u in ("/", "/candidates", f"/candidates/{world.fresh}",
                                        f"/candidates/{world.fresh}/steps/first_talk", "/account/password")]
    pages += [town.get("/queue").text]
    pages += [admin.get(u).text for u in ("/admin/orgs", "/admin/users", "/admin/definitions",
                                          "/admin/definitions/cpc_2014@1", "/admin/audit")]
    for text in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text, re.I)
        assert not re.search(r"<style\b", text, re.I)
        assert not re.search(r"\sstyle\s*=", text, re.I)
        assert not re.search(r"\son[a-z]+\s*=", text, re.I)


def test_api_docs_from_local_files(web):
    c = Client(web)
    r = c.get("/api/docs")
    assert r.status_code == 200
    assert "unsafe-inline" in r.headers["content-security-policy"].split("style-src")[1].split(";")[0]
    assert "script-src 'self';" in r.headers["content-security-policy"]
    assert not re.search(r"""(src|href)=["'](https?:)?//""", r.text)  # nothing from another host
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text)
    for url in re.findall(r"""(?:src|href)="([^"]+)\"""", r.text):
        asset = c.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100
    assert "SwaggerUIBundle" in c.get("/static/api-docs.js").text
    assert c.get("/api/openapi.json").json()["info"]["title"].startswith("partyflow")
    c.close()


@pytest.mark.parametrize("path", ["/api/docs-assets/swagger-ui-bundle.js", "/api/docs-assets/swagger-ui.css"])
def test_assets_are_cacheable(web, path):
    with Client(web) as c:
        r = c.get(path)
    assert r.status_code == 200 and r.headers.get("cache-control") != "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_server_error_page_has_the_headers_too(web):
    """An unhandled error is answered outside the middleware stack: the 500 page and the API's
    500 JSON still carry the policy (no traceback, Chinese message)."""
    @web.get("/boom-test")
    def boom():
        raise RuntimeError("a bug")

    @web.get("/api/boom-test")
    def api_boom():
        raise RuntimeError("a bug")

    with Client(web, raise_server_exceptions=False) as c:
        page = c.get("/boom-test")
        api = c.get("/api/boom-test")
    assert page.status_code == api.status_code == 500
    _check(page)
    _check(api)
    assert "服务器内部错误" in page.text and "Traceback" not in page.text
    assert "服务器内部错误" in api.text
