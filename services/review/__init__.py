"""The review loop between a branch and its higher committee (issue 15): 报送 (submit), 退回
(return, reopening steps) and 审批 (approve with opinion and 批复文号), with the thread both sides
read. The rules are the engine's (engine/review.py); which steps go through it is data
(workflows/review.yaml)."""
from services.review.commands import approve, return_to_branch, submit
from services.review.thread import branch_review, review_thread

__all__ = ["approve", "branch_review", "return_to_branch", "review_thread", "submit"]
