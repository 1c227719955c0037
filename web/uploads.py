"""A cap on the request body of the material uploads, before anything reads it.

The intake refuses a file over the limit with its own message (services/materials/intake); but
parsing a multipart body spools all of it first, so a 100 MB body would be read to disk before
that message. This ASGI layer counts the bytes of an upload request as they arrive and stops the
request at the limit plus the form's envelope (413, one Chinese sentence), whatever reads the body
(the CSRF check or the route); a declared Content-Length over it is refused at the first read.

The page's form is the exception, for a body that declares its length and is at most DRAIN_FACTOR
times the limit (a 25 MB photo): a browser shows nothing useful when the server answers before it
has sent the body, and the form's 材料日期 and 备注 come after the file. So that body is read to
the end here — the text fields kept, each file only counted, nothing spooled — and the route gets
the form without the file and `request.state.upload_too_large` (the file's name and real size),
and answers on the candidate page like any other refusal, the typed fields kept.
"""
from __future__ import annotations

import re

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.materials.intake import UploadRefused, too_large
from services.materials.limits import upload_limits

SLACK = 64 * 1024  # the multipart envelope: boundaries, part headers, the other fields
DRAIN_FACTOR = 4  # the page's form: a body up to 4 × the limit is read through for its fields
UPLOAD_PATHS = re.compile(r"^/(?:api/)?candidates/\d+/materials$")
_FIELD_MAX = 16 * 1024  # a text field kept from a drained body (the note is at most 500 characters)


def upload_limit() -> int:
    """The most bytes one uploaded file may have: the limit `services.materials.files.attach` checks
    (PARTYFLOW_UPLOAD_MAX_MB, else 20 MB)."""
    return upload_limits().max_bytes


def too_large_message() -> str:
    return f"上传的文件超过单个文件 {upload_limit() / 2**20:g} MB 的上限，不能上传；请压缩或分成几个文件后再上传"


class UploadBodyCap:
    """ASGI middleware: POSTs to UPLOAD_PATHS read at most the limit + SLACK bytes (the page's form:
    see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not UPLOAD_PATHS.match(scope.get("path", "")):
            return await self.app(scope, receive, send)
        cap = upload_limit() + SLACK
        headers = dict(scope.get("headers") or ())
        declared = headers.get(b"content-length", b"")
        over = declared.isdigit() and int(declared) > cap
        boundary = _boundary(headers.get(b"content-type", b""))
        if over and boundary and not scope["path"].startswith("/api/") and \
                int(declared) <= DRAIN_FACTOR * upload_limit() + SLACK:
            drained = await _drain(receive, boundary)
            if drained is None:  # the browser went away
                return None
            body, largest = drained
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"content-length"]
                     + [(b"content-length", str(len(body)).encode())],
                     "state": {**scope.get("state", {}), "upload_too_large": largest}}
            return await self.app(scope, _replay(body, receive), send)
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


def _boundary(content_type: bytes) -> bytes | None:
    kind, options = parse_options_header(content_type)
    return (options.get(b"boundary") or None) if kind == b"multipart/form-data" else None


async def _drain(receive: Receive, boundary: bytes) -> tuple[bytes, tuple[str, int]] | None:
    """Reads a multipart body to its end: (the body again with its text fields only, (name, size)
    of the largest file), or None if the client disconnected."""
    fields: list[tuple[bytes, bytearray]] = []
    files: list[tuple[str, int]] = []
    part: dict = {}
    header: list[bytes] = [b"", b""]

    def on_part_begin() -> None:
        part.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def on_header_end() -> None:
        if header[0].lower() == b"content-disposition":
            _, options = parse_options_header(header[1])
            part["name"] = options.get(b"name", b"")
            part["filename"] = options.get(b"filename")
        header[0] = header[1] = b""

    def on_headers_finished() -> None:
        if part.get("filename") is not None:
            part["size"] = 0
        else:
            part["value"] = bytearray()
            fields.append((part.get("name", b""), part["value"]))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if "size" in part:
            part["size"] += end - start
        elif len(part["value"]) < _FIELD_MAX:
            part["value"] += data[start:end][: _FIELD_MAX - len(part["value"])]

    def on_part_end() -> None:
        if "size" in part and part["filename"]:
            files.append((part["filename"].decode("utf-8", "replace"), part["size"]))

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data, "on_part_end": on_part_end})
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        try:
            parser.write(message.get("body", b""))
        except FormParserError:  # a malformed body: keep the fields read so far
            pass
        if not message.get("more_body", False):
            break
    out = bytearray()
    for name, value in fields:
        out += b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name.replace(b'"', b"%22") + \
            b'"\r\n\r\n' + bytes(value) + b"\r\n"
    out += b"--" + boundary + b"--\r\n"
    return bytes(out), max(files, key=lambda f: f[1], default=("", 0))


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def oversized(request, file) -> UploadRefused | None:
    """The refusal of an upload over the limit, its real size named: a file the body cap read
    through (the page's form), or one the form parser spooled whole (just over the limit); None
    when the file fits. The route answers with it before reading the file."""
    limits = upload_limits()
    drained = getattr(request.state, "upload_too_large", None)
    if drained is not None:
        name, size = drained
        return too_large(name or "未命名文件", size if size > limits.max_bytes else None, limits)
    size = getattr(file, "size", None)
    if size is not None and size > limits.max_bytes and not isinstance(file, str):
        return too_large(file.filename or "未命名文件", size, limits)
    return None


def refuse_oversized(request, file) -> None:
    """The JSON API's answer to an upload over the limit: 413 with the intake's sentence."""
    refusal = oversized(request, file)
    if refusal is not None:
        raise HTTPException(413, refusal.message)
