"""报送与退回 (/review) is the branch's list: a role with no branch side is refused in words, as
/queue refuses a role with no township side, and no page of theirs links to it (outside review:
the county viewer opened an empty 报送与退回 while /queue said 403)."""
from __future__ import annotations

import re


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_review_is_refused_to_roles_without_a_branch_side(login):
    for name in ("county", "town"):
        c = login(name)
        r = c.get("/review")
        assert r.status_code == 403 and "报送与退回仅供党支部使用" in _text(r.text)
        assert c.get("/api/review").status_code == 403
        for url in ("/", "/more", "/candidates", "/overdue", "/reports"):
            assert 'href="/review"' not in c.get(url).text, (name, url)
    assert "报送与退回仅供党支部使用" not in _text(login("county").get("/queue").text)  # each page its own words
    for name in ("sec", "com", "admin"):
        r = login(name).get("/review")
        assert r.status_code == 200 and "报送与退回" in _text(r.text)
