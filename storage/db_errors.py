"""Database driver errors told in Chinese: what a county's IT person sees when the database cannot
be reached is one sentence saying what is wrong and what to check, not the driver's English."""
from __future__ import annotations

import re

from sqlalchemy.exc import SQLAlchemyError

_CHECK = "请检查 --db / PARTYFLOW_DATABASE_URL 和数据库服务"

# (pattern in the driver's message, Chinese explanation); groups are put into the explanation
_KNOWN: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.I), m) for p, m in (
    (r'server at "([^"]+)", port (\d+) failed: Connection refused', "无法连接数据库服务器 {0}:{1}（连接被拒绝：服务未运行或端口不对）"),
    (r'server at "([^"]+)", port (\d+) failed: .*timeout expired', "连接数据库服务器 {0}:{1} 超时"),
    (r'role "([^"]+)" does not exist', "数据库用户“{0}”不存在"),
    (r'database "([^"]+)" does not exist', "数据库“{0}”不存在，请先创建"),
    (r'password authentication failed for user "([^"]+)"', "数据库用户“{0}”的密码不正确"),
    (r'no password supplied', "数据库要求密码，但连接地址中没有提供"),
    (r'could not translate host name "([^"]+)"', "无法解析数据库服务器地址“{0}”"),
    (r'Name or service not known', "无法解析数据库服务器地址"),
    (r'unable to open database file', "无法打开 SQLite 数据库文件（目录不存在或没有权限）"),
    (r'database is locked', "SQLite 数据库正被其他程序占用（已锁定），请稍后重试"),
    (r'attempt to write a readonly database', "SQLite 数据库文件是只读的，没有写入权限"),
    (r'file is not a database', "该文件不是 SQLite 数据库"),
    (r'disk I/O error|database or disk is full|No space left', "磁盘读写出错或空间已满"),
    (r'permission denied for (?:table|relation|schema) (\w+)', "数据库用户没有访问“{0}”的权限"),
    (r'too many clients|remaining connection slots', "数据库连接数已满，请稍后重试或调整连接池"),
))


def explain(exc: BaseException) -> str:
    """One Chinese sentence for a database error, naming what to check."""
    text = str(getattr(exc, "orig", None) or exc)
    for pattern, words in _KNOWN:
        m = pattern.search(text)
        if m:
            return f"{words.format(*m.groups())}；{_CHECK}"
    kind = "连接数据库失败" if _is_connection(exc) else "数据库操作失败"
    return f"{kind}（数据库返回的错误未能识别，详见日志）；{_CHECK}"


def _is_connection(exc: BaseException) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError
    return isinstance(exc, (OperationalError, InterfaceError)) and isinstance(exc, SQLAlchemyError)
