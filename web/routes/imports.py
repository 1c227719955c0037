"""(placeholder: filled in by the change that adds this page)"""
from __future__ import annotations

from fastapi import APIRouter, Depends

from web.security import check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
