"""发展计划 from the web: a year's plan beside what was achieved so far (services/planning/plans.py sets
and reads the plan; the report's plan lines give the figures)."""
from services.planning.plan_vs_actual import SHARE_FIELDS, plan_orgs, plan_view, save_plan

__all__ = ["SHARE_FIELDS", "plan_orgs", "plan_view", "save_plan"]
