"""Console / log channel: for development, dry runs, and deployments without mail or gateway.

It never raises: a broken stream must not dead-letter reminders nobody was going to read anyway.
"""
from __future__ import annotations

import logging
import sys
import threading
from typing import TextIO

from ..message import Message

LOGGER_NAME = "partyflow.notifications"


class ConsoleChannel:
    name = "console"

    def __init__(self, stream: TextIO | None = None, *, logger: logging.Logger | None = None):
        # stream None means "sys.stdout at send time", so redirection (and pytest capture) works
        self.stream = stream
        self.logger = logger
        self._lock = threading.Lock()  # whole messages, not interleaved lines, from several workers

    @classmethod
    def for_target(cls, target: str) -> ConsoleChannel:
        if target == "log":
            return cls(logger=logging.getLogger(LOGGER_NAME))
        if target == "stderr":
            return cls(sys.stderr)
        return cls()

    @staticmethod
    def format(message: Message) -> str:
        rule = "─" * 40
        return (
            f"{rule}\n"
            f"收件人：{message.recipient}\n"
            f"主题：{message.subject}\n"
            f"编号：{message.key}\n"
            f"{rule}\n"
            f"{message.body.rstrip()}\n"
        )

    def send(self, message: Message) -> None:
        try:
            text = self.format(message)
            if self.logger is not None:
                self.logger.info("%s", text.rstrip("\n"), extra={"partyflow_key": message.key})
                return
            stream = self.stream if self.stream is not None else sys.stdout
            with self._lock:
                stream.write(text + "\n")
                stream.flush()
        except Exception:  # noqa: BLE001 - by contract the console channel never fails
            try:
                logging.getLogger(LOGGER_NAME).exception("console channel could not write %s", message.key)
            except Exception:  # noqa: BLE001
                pass
