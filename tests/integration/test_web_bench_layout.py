"""web_bench's organisation layout (its density option) builds what it says (correctness only, never timing)."""
from collections import Counter

from bench import report_bench
from bench.web_bench import DENSE, SCOPES, accounts, generate, layout, layout_name, load, stored_layout


def test_the_default_layout_is_the_realistic_one_and_the_dense_one_stays_reachable():
    assert layout(1_000_000) == (1985, 27778)  # 36 candidates a branch, 14 branches a township
    assert layout(1_000_000, townships=70, branches=1000) == DENSE
    assert layout(1_000_000, townships=20) == (20, 280)
    assert layout(1_000_000, branches=29) == (3, 29)
    assert layout(1000, per_branch=10, branches_per_township=5) == (20, 100)
    assert layout_name(*DENSE) == "" and layout_name(1985, 27778) == "_1985t27778b"


def test_every_branch_gets_its_share_and_branch_k_lies_in_township_k():
    towns, branches = 12, 120
    orgs = report_bench._orgs(towns, branches)
    by_code = {code: (oid, parent) for oid, code, _, _, _, parent, _ in orgs}
    assert Counter(level for _, _, _, level, _, _, _ in orgs) == {"county": 1, "township": towns, "branch": branches}
    for k in range(1, SCOPES + 1):  # the bench's secretary of b000k and officer of t0k share a township
        assert by_code[f"b{k:04d}"][1] == by_code[f"t{k:02d}"][0]
    _, cands = generate(1200, towns, branches)
    per_branch = Counter(c[2] for c in cands)
    branch_ids = {oid for oid, _, _, level, _, _, _ in orgs if level == "branch"}
    assert set(per_branch) == branch_ids and set(per_branch.values()) == {10}
    # report_bench's own layout is unchanged
    assert len(report_bench._orgs()) == 1 + report_bench.TOWNSHIPS + report_bench.BRANCHES == 1071


def test_a_loaded_database_reports_its_layout_and_each_user_has_a_candidate_of_its_scope(db_url):
    assert stored_layout(db_url) == (0, 0, 0)
    load(db_url, 300, 10, 40, lambda m: None)  # ~7 candidates a branch: some branches have none open
    assert stored_layout(db_url) == (10, 40, 300)
    users = accounts(db_url)
    assert len(users) == 2 * SCOPES + 1 and all(u["candidate"] for u in users)
