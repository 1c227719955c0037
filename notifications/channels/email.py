"""Email over SMTP with the standard library (`smtplib`), one connection per message.

One connection per message keeps failure handling simple and exact: a message either was
accepted by the server (send returned) or it was not (an exception), never "some of a batch".
"""
from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr

from ..message import ChannelError, Message, PermanentChannelError, message_id
from .config import ChannelConfig

KEY_HEADER = "X-Partyflow-Key"


class _Policy(EmailPolicy):
    """RFC 5322 / SMTP (CRLF), with two folding fixes that matter for Chinese notifications.

    - Subject: the stdlib folder may break a line at a space between two encoded words, and
      RFC 2047 decoders drop such whitespace ("党支部 2018-06-25" arrives as "党支部2018-06-25");
      the legacy `Header` encoder keeps every space inside an encoded word.
    - X-Partyflow-Key stays on one line: a long space-less key would go to a continuation line,
      and some parsers (Python's among them) then return it with a leading space, which breaks
      exact-match dedupe.
    """

    def _own_fold(self, name: str, value: str) -> str | None:
        if any(c in value for c in "\r\n"):
            return None
        if name.lower() == "subject" and not value.isascii():
            encoded = Header(str(value), "utf-8", header_name=name).encode(linesep=self.linesep)
            return f"{name}: {encoded}{self.linesep}"
        if name.lower() == KEY_HEADER.lower() and value.isascii() and len(name) + len(value) < 990:
            return f"{name}: {value}{self.linesep}"
        return None

    def fold(self, name, value):
        return self._own_fold(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        folded = self._own_fold(name, value)
        return folded.encode("ascii") if folded else super().fold_binary(name, value)


SMTP_POLICY = _Policy(linesep="\r\n")


class EmailChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        sender: str,
        port: int = 25,
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_ssl: bool = False,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ):
        if starttls and use_ssl:
            raise ValueError("SSL 与 STARTTLS 只能选一个")
        self.host = host
        self.port = port
        self.sender = sender
        self.user = user
        self.password = password
        self.starttls = starttls
        self.use_ssl = use_ssl
        self.timeout = timeout
        self.ssl_context = ssl_context

    @classmethod
    def from_config(cls, config: ChannelConfig) -> EmailChannel:
        if not config.smtp_host or not config.sender:
            raise ValueError("邮件通道未配置（PARTYFLOW_SMTP_HOST / PARTYFLOW_SMTP_FROM）")
        context = None
        if config.smtp_ssl or config.smtp_starttls:
            context = ssl.create_default_context(cafile=config.smtp_cafile)
        return cls(
            config.smtp_host,
            config.sender,
            config.port,
            user=config.smtp_user,
            password=config.smtp_password,
            starttls=config.smtp_starttls,
            use_ssl=config.smtp_ssl,
            timeout=config.smtp_timeout,
            ssl_context=context,
        )

    def build(self, message: Message, now: datetime | None = None) -> EmailMessage:
        """The MIME message; Message-ID derives from the key so a resend is recognisably the same."""
        if "@" not in message.recipient or any(c in message.recipient for c in "\r\n,;"):
            raise PermanentChannelError(f"收件人不是一个邮件地址：{message.recipient!r}")
        mail = EmailMessage(policy=SMTP_POLICY)
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(now or datetime.now(UTC).astimezone())
        mail["Message-ID"] = message_id(message.key)
        mail[KEY_HEADER] = message.key
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
        # base64 keeps the Chinese body 7-bit clean for servers without 8BITMIME
        mail.set_content(message.body, subtype="plain", charset="utf-8", cte="base64")
        return mail

    def send(self, message: Message) -> None:
        mail = self.build(message)
        try:
            smtp = self._connect()
            try:
                if self.starttls:
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(mail, from_addr=self.sender_address, to_addrs=[message.recipient])
            finally:
                _quit_quietly(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "；".join(f"{addr}: {code} {_text(resp)}" for addr, (code, resp) in exc.recipients.items())
            error = PermanentChannelError if all(c >= 500 for c in codes) else ChannelError
            raise error(f"SMTP 拒收收件人：{detail}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentChannelError(f"SMTP 服务器不支持所需功能（STARTTLS 或登录）：{exc}") from exc
        except smtplib.SMTPResponseException as exc:
            # SMTPSenderRefused, SMTPDataError, SMTPAuthenticationError, SMTPHeloError, ...
            error = PermanentChannelError if exc.smtp_code >= 500 else ChannelError
            raise error(f"SMTP 错误 {exc.smtp_code}：{_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            # disconnects, refused connections, DNS failures, timeouts, TLS handshakes
            raise ChannelError(f"无法通过 SMTP {self.host}:{self.port} 发送：{exc!r}") from exc

    @property
    def sender_address(self) -> str:
        """The envelope sender: the bare address even when From has a display name."""
        return parseaddr(self.sender)[1] or self.sender

    def _connect(self) -> smtplib.SMTP:
        if self.use_ssl:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout,
                context=self.ssl_context or ssl.create_default_context(),
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    """QUIT after the server accepted the message must not turn success into a retry."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
