"""A cap on the request body of the material uploads, before anything reads it.

The intake refuses a file over the limit with its own message (services/materials/intake); but
parsing a multipart body spools all of it first, so a 100 MB body would be read to disk before
that message. This ASGI layer counts the bytes of an upload request as they arrive and stops the
request at the limit plus the form's envelope (413, one Chinese sentence), whatever reads the body
(the CSRF check or the route); a declared Content-Length over it is refused at the first read.
"""
from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.materials.limits import upload_limits

SLACK = 64 * 1024  # the multipart envelope: boundaries, part headers, the other fields
UPLOAD_PATHS = re.compile(r"^/(?:api/)?candidates/\d+/materials$")


def upload_limit() -> int:
    """The most bytes one uploaded file may have: the limit `services.materials.files.attach` checks
    (PARTYFLOW_UPLOAD_MAX_MB, else 20 MB)."""
    return upload_limits().max_bytes


def too_large_message() -> str:
    return f"上传的文件超过单个文件 {upload_limit() / 2**20:g} MB 的上限，不能上传；请压缩或分成几个文件后再上传"


class UploadBodyCap:
    """ASGI middleware: POSTs to UPLOAD_PATHS read at most the limit + SLACK bytes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not UPLOAD_PATHS.match(scope.get("path", "")):
            return await self.app(scope, receive, send)
        cap = upload_limit() + SLACK
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        over = declared.isdigit() and int(declared) > cap
        received = 0

        async def capped() -> Message:
            nonlocal received
            if over:
                raise HTTPException(413, too_large_message())
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise HTTPException(413, too_large_message())
            return message

        return await self.app(scope, capped, send)
