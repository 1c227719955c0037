"""The API docs page renders in a real browser under the site's Content-Security-Policy, from
local files only (an intranet has no CDN)."""
from __future__ import annotations


def test_swagger_ui_renders_under_the_csp_without_the_internet(open_as, server):
    page = open_as("zuzhi")
    violations, outside = [], []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server.base_url) else None)
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "partyflow" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() > 5  # the operations are listed
    assert violations == [] and outside == []
