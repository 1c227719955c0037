"""Channel settings, read from the environment so a deployment configures delivery without code.

Secrets (SMTP password, webhook secret) are kept out of `repr` so they never reach a log line.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

WEBHOOK_FORMATS = ("json", "wecom", "dingtalk")
CONSOLE_TARGETS = ("stdout", "stderr", "log")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class ChannelConfig:
    # email (enabled when smtp_host is set)
    smtp_host: str | None = None
    smtp_port: int | None = None  # None: 465 with SSL, 587 with STARTTLS, else 25
    smtp_user: str | None = None  # login only when set
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str | None = None  # None: smtp_user when it is an address
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 30.0
    smtp_cafile: str | None = None  # a private CA for the SMTP server's certificate
    # webhook (always built: a message may carry its own URL as recipient)
    webhook_url: str | None = None  # used when a message's recipient is not an http(s) URL
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_timeout: float = 10.0
    webhook_format: str = "json"  # "json" (partyflow's own), "wecom" or "dingtalk" group robots
    # console
    console_target: str = "stdout"  # "stdout", "stderr" or "log" (logger "partyflow.notifications")

    def __post_init__(self) -> None:
        if self.smtp_ssl and self.smtp_starttls:
            raise ValueError("PARTYFLOW_SMTP_SSL 与 PARTYFLOW_SMTP_STARTTLS 只能选一个")
        if self.smtp_port is not None and not 0 < self.smtp_port < 65536:
            raise ValueError(f"SMTP 端口无效：{self.smtp_port}")
        if self.smtp_user and self.smtp_password is None:
            raise ValueError("设置了 PARTYFLOW_SMTP_USER 却没有 PARTYFLOW_SMTP_PASSWORD")
        if self.smtp_host and not self.sender:
            raise ValueError("启用邮件需要 PARTYFLOW_SMTP_FROM（发件人地址）")
        if self.smtp_timeout <= 0 or self.webhook_timeout <= 0:
            raise ValueError("超时时间必须大于 0 秒")
        if self.webhook_format not in WEBHOOK_FORMATS:
            raise ValueError(f"PARTYFLOW_WEBHOOK_FORMAT 只能是 {'、'.join(WEBHOOK_FORMATS)}，得到 {self.webhook_format!r}")
        if self.console_target not in CONSOLE_TARGETS:
            raise ValueError(f"PARTYFLOW_CONSOLE 只能是 {'、'.join(CONSOLE_TARGETS)}，得到 {self.console_target!r}")

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def port(self) -> int:
        """The SMTP port actually used (the usual one for the chosen security when not set)."""
        if self.smtp_port is not None:
            return self.smtp_port
        return 465 if self.smtp_ssl else 587 if self.smtp_starttls else 25

    @property
    def sender(self) -> str | None:
        """The From address: explicit, or the login name when that is an address."""
        if self.smtp_from:
            return self.smtp_from
        if self.smtp_user and "@" in self.smtp_user:
            return self.smtp_user
        return None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ChannelConfig:
        """Read PARTYFLOW_* variables; empty values count as unset."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(f"PARTYFLOW_{name}", "").strip()
            return value or None

        def flag(name: str) -> bool:
            value = get(name)
            if value is None:
                return False
            if value.lower() in _TRUE:
                return True
            if value.lower() in _FALSE:
                return False
            raise ValueError(f"PARTYFLOW_{name} 应为 true/false，得到 {value!r}")

        def number(name: str, kind: type, default):
            value = get(name)
            if value is None:
                return default
            try:
                return kind(value)
            except ValueError:
                raise ValueError(f"PARTYFLOW_{name} 应为数字，得到 {value!r}") from None

        return cls(
            smtp_host=get("SMTP_HOST"),
            smtp_port=number("SMTP_PORT", int, None),
            smtp_user=get("SMTP_USER"),
            # a password may legitimately contain spaces: take it verbatim
            smtp_password=env.get("PARTYFLOW_SMTP_PASSWORD") or None,
            smtp_from=get("SMTP_FROM"),
            smtp_starttls=flag("SMTP_STARTTLS"),
            smtp_ssl=flag("SMTP_SSL"),
            smtp_timeout=number("SMTP_TIMEOUT", float, 30.0),
            smtp_cafile=get("SMTP_CAFILE"),
            webhook_url=get("WEBHOOK_URL"),
            webhook_secret=env.get("PARTYFLOW_WEBHOOK_SECRET") or None,
            webhook_timeout=number("WEBHOOK_TIMEOUT", float, 10.0),
            webhook_format=(get("WEBHOOK_FORMAT") or "json").lower(),
            console_target=(get("CONSOLE") or "stdout").lower(),
        )
