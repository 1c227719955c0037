"""Hostile uploads (issue 18, "Done means"): each is refused with one Chinese sentence that names the
file and the reason — or, for a path-traversal name, accepted under a harmless display name — and
nothing reaches a store. Boundaries are tested from both sides."""
from __future__ import annotations

import io
import os
import re
import zipfile

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String

from engine.errors import DomainError
from services.materials.intake import DEFAULT_LIMITS, Limits, UploadRefused, inspect_upload, too_large
from storage.objects import LocalDirectoryStore, sha256_key
from tests.support import upload_samples as samples

MB = 1024 * 1024


def refused(data: bytes, name: str, code: str, limits: Limits = DEFAULT_LIMITS) -> UploadRefused:
    with pytest.raises(UploadRefused) as info:
        inspect_upload(data, name, limits=limits)
    error = info.value
    assert error.code == code, error.message
    assert isinstance(error, DomainError) and error.violations[0].code == code
    assert error.violations[0].message == error.message == str(error)
    assert "不能上传" in error.message and re.search(r"[\u4e00-\u9fff]", error.message)
    assert not re.search(r"Error|Traceback|None|sha256", error.message)
    return error


# -- a renamed executable --------------------------------------------------------------------------

@pytest.mark.parametrize(("make", "name", "what"), [
    (samples.elf_executable, "政审结论.jpg", "Linux 可执行程序"),
    (samples.windows_executable, "scan.pdf", "Windows 可执行程序"),
    (samples.shell_script, "photo.png", "脚本程序"),
    (samples.windows_executable, "申请书.docx", "Windows 可执行程序"),
])
def test_renamed_executable_is_refused_by_content(make, name, what):
    error = refused(make(), name, "upload.type")
    assert f"文件“{name}”" in error.message and what in error.message
    assert "JPEG、PNG、HEIC 图片或 PDF、Word（.docx）文件" in error.message


def test_other_formats_are_named_in_the_refusal():
    gif = b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00;"
    assert "GIF 图片" in refused(gif, "a.gif", "upload.type").message
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert "可含脚本" in refused(svg, "seal.png", "upload.type").message
    assert "无法识别的格式" in refused(b"hello world", "note.txt", "upload.type").message


def test_a_zip_that_is_not_word_and_legacy_office_are_refused():
    plain_zip = samples.rezip(samples.docx(), {}, drop=("word/document.xml",))
    assert "是 ZIP 压缩包，不是 Word" in refused(plain_zip, "材料.docx", "upload.not_word").message
    xlsx_like = samples.docx(parts={"[Content_Types].xml": b'<Types><Override ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'})
    assert "是 Excel 工作簿（.xlsx），不是 Word" in refused(xlsx_like, "表.docx", "upload.not_word").message
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    assert "旧版 Office" in refused(ole, "申请书.doc", "upload.legacy_office").message


@pytest.mark.parametrize(("make", "what"), [
    (samples.xlsx, "Excel 工作簿（.xlsx）"),
    (lambda: samples.office_zip("pptx"), "PowerPoint 演示文稿（.pptx）"),
    (lambda: samples.office_zip("odt"), "OpenDocument 文本文档（.odt）"),
    (lambda: samples.office_zip("zip"), "ZIP 压缩包"),
], ids=["xlsx", "pptx", "odt", "zip"])
def test_other_zip_formats_renamed_docx_are_named_with_what_is_accepted(make, what):
    """An .xlsx renamed .docx was refused as 「是压缩包」: the message names what the file is and
    which types are accepted."""
    error = refused(make(), "申请书.docx", "upload.not_word")
    assert f"文件“申请书.docx”是 {what}，不是 Word（.docx）文档" in error.message, error.message
    assert "JPEG、PNG、HEIC 图片或 PDF、Word（.docx）文件" in error.message
    assert "是压缩包而不是" not in error.message


# -- a PDF with JavaScript (and its relatives) -----------------------------------------------------

def _open_action_js(pdf):
    pdf.Root.OpenAction = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("app.alert('x')")))


def _document_level_js(pdf):
    script = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("this.print()")))
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), script])))


def _page_open_action(pdf):
    pdf.pages[0].obj.AA = Dictionary(O=Dictionary(S=Name.URI, URI=String("http://example.invalid/")))


def _launch(pdf):
    pdf.Root.OpenAction = Dictionary(S=Name.Launch, F=String("cmd.exe"))


def _attachment(pdf):
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ" + b"\0" * 64, filename="payload.exe")


def _link_runs_js(pdf):
    action = Dictionary(S=Name.JavaScript, JS=String("app.launchURL('x')"))
    link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 100, 100]), A=action)
    pdf.pages[0].obj.Annots = pdf.make_indirect(Array([pdf.make_indirect(link)]))


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "object-streams"])
@pytest.mark.parametrize(("mutate", "what"), [
    (_open_action_js, "JavaScript 脚本"),
    (_document_level_js, "JavaScript 脚本"),
    (_link_runs_js, "JavaScript 脚本"),
    (_page_open_action, "自动执行的动作"),
    (_launch, "启动外部程序的动作"),
    (_attachment, "嵌入的附件"),
])
def test_pdf_with_active_content_is_refused(mutate, what, compress):
    """With object streams every object is compressed, so no name is visible in the raw bytes:
    the refusal comes from parsing."""
    data = samples.pdf(mutate=mutate, compress=compress)
    if compress:
        assert b"/JavaScript" not in data and b"/Launch" not in data and b"/AA" not in data
    error = refused(data, "政审结论.pdf", "upload.active_content")
    assert "PDF 文件“政审结论.pdf”" in error.message and what in error.message


def test_javascript_outside_the_cross_reference_table_is_still_refused():
    """An object no xref entry points at is invisible to the parser, but a repairing reader may
    find it: the raw scan refuses it."""
    data = samples.pdf()
    orphan = b"\n99 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"
    cut = data.rindex(b"%%EOF")
    hidden = data[:cut] + orphan + data[cut:]
    with pikepdf.open(io.BytesIO(hidden)) as pdf:
        assert all("/JS" not in obj.keys() for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary))
    refused(hidden, "x.pdf", "upload.active_content")


def test_harmless_pdf_actions_are_accepted():
    """The other side: opening at page 1 (/GoTo) and a web link are not active content."""
    def navigate(pdf):
        pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])
        link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 9, 9]),
                          A=Dictionary(S=Name.URI, URI=String("https://www.12371.cn/")))
        pdf.pages[0].obj.Annots = Array([pdf.make_indirect(link)])

    assert inspect_upload(samples.pdf(mutate=navigate), "a.pdf").pages == 2


def _link_to(uri):
    """A page whose Link annotation opens `uri` (a str, or bytes for the raw PDF string)."""
    def mutate(pdf):
        action = Dictionary(S=Name.URI, URI=String(uri))
        link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 100, 100]), A=action)
        pdf.pages[0].obj.Annots = Array([pdf.make_indirect(link)])
    return mutate


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "object-streams"])
@pytest.mark.parametrize(("uri", "scheme"), [
    ("javascript:alert(1)", "javascript:"),
    ("JavaScript:app.alert(1)", "javascript:"),
    ("java\tscript:alert(1)", "javascript:"),
    (" \x01\njava\r\nscript :alert(1)", "javascript:"),
    (b"\xfe\xff" + "javascript:alert(1)".encode("utf-16-be"), "javascript:"),  # a UTF-16 PDF string
    ("VBScript:MsgBox(1)", "vbscript:"),
    ("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "data:"),
    ("file:///C:/Windows/System32/cmd.exe", "file:"),
], ids=["plain", "case", "tab", "controls", "utf16", "vbscript", "data", "file"])
def test_pdf_link_to_a_script_uri_is_refused(uri, scheme, compress):
    """Issue 18 review: a Link whose action is /URI (javascript:alert(1)) was accepted. Viewers
    drop tabs, line breaks and control characters from a URI and ignore case, so must the check."""
    data = samples.pdf(mutate=_link_to(uri), compress=compress)
    error = refused(data, "政审结论.pdf", "upload.active_content")
    assert f"PDF 文件“政审结论.pdf”含有可执行的链接（{scheme}）" in error.message, error.message


def test_pdf_script_uri_as_a_hex_string_is_refused():
    placeholder = "x" * 38
    data = samples.pdf(mutate=_link_to(placeholder))
    hex_uri = b"<" + b"javascript:alert(1)".hex().encode() + b">"
    data = data.replace(f"({placeholder})".encode(), hex_uri.ljust(40, b" "))  # same length: the xref holds
    assert b"javascript" not in data
    assert "可执行的链接（javascript:）" in refused(data, "a.pdf", "upload.active_content").message


def test_script_uri_outside_the_cross_reference_table_is_refused():
    for action in (b"<< /S /URI /URI (java\\tscript:alert\\(1\\)) >>",
                   b"<</S/URI/URI<6A617661736372697074 3A616C6572742831 29>>>"):
        data = samples.pdf()
        cut = data.rindex(b"%%EOF")
        hidden = data[:cut] + b"\n98 0 obj\n" + action + b"\nendobj\n" + data[cut:]
        assert "可执行的链接（javascript:）" in refused(hidden, "x.pdf", "upload.active_content").message


@pytest.mark.parametrize("uri", ["https://www.12371.cn/", "HTTP://example.cn/a?b=javascript:1", "mailto:dzb@example.cn",
                                 "tel:01012345678", "/relative/path", "#page=2"])
def test_ordinary_links_are_accepted(uri):
    assert inspect_upload(samples.pdf(mutate=_link_to(uri)), "a.pdf").pages == 2


@pytest.mark.parametrize("encryption", [
    pikepdf.Encryption(user="123456", owner="123456"),  # needs a password to open
    pikepdf.Encryption(user="", owner="owner-only"),  # opens, but printing/copying may be locked
], ids=["user-password", "owner-password"])
def test_encrypted_pdf_is_refused(encryption):
    error = refused(samples.pdf(encryption=encryption), "结论.pdf", "upload.encrypted")
    assert "已加密或设有密码" in error.message


def test_damaged_and_cut_off_pdfs_are_refused():
    assert "已损坏" in refused(b"%PDF-1.7\nnot a pdf at all\n%%EOF\n", "a.pdf", "upload.damaged").message
    whole = samples.pdf(pages=3)
    assert "不完整" in refused(whole[: len(whole) // 2], "a.pdf", "upload.damaged").message


# -- a 100 MB file -----------------------------------------------------------------------------------

def test_a_100_mb_file_is_refused_with_the_limit():
    data = b"%PDF-1.7\n" + bytes(100 * MB - 9)
    error = refused(data, "扫描件.pdf", "upload.too_large")
    assert error.message == "文件“扫描件.pdf”大小为 100 MB，超过单个文件 20 MB 的上限，不能上传；请压缩或分成几个文件后再上传"


@pytest.mark.parametrize(("size", "how_big"), [
    (20 * MB + 10 * 1024, "大小为 20.01 MB，"),  # rounded up: never reads as the limit itself
    (20 * MB + 2, "大小为 20.01 MB，"),
    (25 * MB, "大小为 25 MB，"),
    (20 * MB + 1, ""),  # what a reader that stops after the limit holds: the real size is unknown
])
def test_an_oversized_file_is_named_without_a_bogus_exact_size(size, how_big):
    """Issue 18 review: the web route reads at most limit + 1 bytes, and a 20 MB + 10 KB file was
    reported as 「大小为 20.000001 MB」."""
    error = refused(b"%PDF-1.7\n" + bytes(size - 9), "扫描件.pdf", "upload.too_large")
    assert error.message == f"文件“扫描件.pdf”{how_big}超过单个文件 20 MB 的上限，不能上传；请压缩或分成几个文件后再上传"


def test_too_large_names_the_real_size_when_the_caller_knows_it():
    assert too_large("../a.pdf", 20 * MB + 10 * 1024).message.startswith("文件“a.pdf”大小为 20.01 MB，超过单个文件 20 MB")
    assert too_large("a.pdf", None, Limits(max_bytes=5 * MB)).message.startswith("文件“a.pdf”超过单个文件 5 MB 的上限")
    assert too_large("a.pdf", 7 * MB, Limits(max_bytes=int(2.5 * MB))).message.startswith(
        "文件“a.pdf”大小为 7 MB，超过单个文件 2.5 MB 的上限")


def test_size_limit_both_sides():
    data = samples.pdf()
    assert inspect_upload(data, "a.pdf", limits=Limits(max_bytes=len(data))).size == len(data)
    error = refused(data, "a.pdf", "upload.too_large", Limits(max_bytes=len(data) - 1))
    assert "上限" in error.message


# -- a decompression-bomb image ------------------------------------------------------------------------

def test_decompression_bomb_png_is_refused_before_decoding():
    """80 bytes claiming 50 000 × 50 000 pixels (2.5 billion: ~7.5 GB decoded)."""
    data = samples.png_declaring(50_000, 50_000)
    assert len(data) < 200
    error = refused(data, "bomb.png", "upload.image_too_large")
    assert "解压炸弹" in error.message and "5000 万像素" in error.message


def test_pixel_cap_names_the_size_and_both_sides_hold():
    error = refused(samples.png_declaring(10_000, 6_000), "big.png", "upload.image_too_large")
    assert "10000×6000 像素" in error.message and "超过 5000 万像素的上限" in error.message
    data = samples.phone_jpeg(size=(400, 300))
    assert inspect_upload(data, "a.jpg", limits=Limits(max_pixels=400 * 300)).width == 300
    refused(data, "a.jpg", "upload.image_too_large", Limits(max_pixels=400 * 300 - 1))


def test_damaged_image_is_refused():
    photo = samples.phone_jpeg()
    assert "已损坏或不完整" in refused(photo[: len(photo) // 2], "a.jpg", "upload.damaged").message
    refused(samples.png_declaring(2_000, 2_000), "a.png", "upload.damaged")  # the claim, no data


# -- Word: macros, zip bombs, template injection -------------------------------------------------------

def test_word_with_macros_is_refused():
    with_vba = samples.docx(parts={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"})
    assert "含有宏" in refused(with_vba, "申请书.docx", "upload.macro").message
    docm_type = samples.docx(parts={"[Content_Types].xml": b'<Types><Override ContentType="application/'
                                    b'vnd.ms-word.document.macroEnabled.main+xml"/></Types>'})
    refused(docm_type, "申请书.docx", "upload.macro")


def test_word_zip_bomb_is_refused_by_what_it_decompresses_to():
    limits = Limits(max_unzipped_bytes=2 * MB)
    base = samples.docx()
    bomb = samples.docx(parts={"word/media/image1.png": bytes(3 * MB)})
    assert len(bomb) < len(base) + 64 * 1024  # 3 MB of zeros compress to a few kB
    assert "解压后超过 2 MB" in refused(bomb, "a.docx", "upload.zip_bomb", limits).message
    inspect_upload(samples.docx(parts={"word/media/image1.png": bytes(MB)}), "a.docx", limits=limits)


def test_word_with_too_many_parts_is_refused():
    parts = {f"customXml/item{i}.xml": b"<a/>" for i in range(50)}
    data = samples.docx(parts=parts)
    count = len(zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert "个部件" in refused(data, "a.docx", "upload.zip_bomb", Limits(max_zip_entries=count - 1)).message
    inspect_upload(data, "a.docx", limits=Limits(max_zip_entries=count))


def test_word_loading_an_external_template_is_refused():
    rels = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/attachedTemplate" Target="http://example.invalid/t.dotm" TargetMode="External"/>'
            b'</Relationships>')
    error = refused(samples.docx(parts={"word/_rels/settings.xml.rels": rels}), "a.docx", "upload.active_content")
    assert "外部加载模板" in error.message
    link = rels.replace(b"attachedTemplate", b"hyperlink")  # an external web link is fine
    inspect_upload(samples.docx(parts={"word/_rels/settings.xml.rels": link}), "a.docx")


def test_damaged_word_is_refused():
    data = samples.docx()
    refused(data[: len(data) - 200], "a.docx", "upload.damaged")


# -- a path-traversal file name ------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "shown"), [
    ("../../etc/passwd", "passwd.jpg"),
    ("..\\..\\Windows\\System32\\drivers\\etc\\hosts.jpg", "hosts.jpg"),
    ("/etc/cron.d/evil.jpg", "evil.jpg"),
    ("C:\\Users\\书记\\Desktop\\证明.jpg", "证明.jpg"),
    ("..／..／照片.jpg", "照片.jpg"),  # full-width slashes
    ("../", "未命名文件.jpg"),
])
def test_path_traversal_name_is_accepted_under_a_safe_name_and_stored_by_hash(tmp_path, name, shown):
    """Accepted, not refused: the content is a good photo and the name is only ever a label.
    What the user typed never becomes a path: the store names files by SHA-256."""
    accepted = inspect_upload(samples.phone_jpeg(size=(200, 100)), name)
    assert accepted.filename == shown
    assert "/" not in accepted.filename and "\\" not in accepted.filename and ".." not in accepted.filename
    root = tmp_path / "data" / "files"
    store = LocalDirectoryStore(root)
    store.put(sha256_key(accepted.data), accepted.data, accepted.content_type)
    written = [os.path.relpath(os.path.join(d, f), tmp_path) for d, _, files in os.walk(tmp_path) for f in files]
    assert written == [f"data/files/{sha256_key(accepted.data)}"]


# -- a zero-byte file ----------------------------------------------------------------------------------

def test_zero_byte_file_is_refused():
    error = refused(b"", "入党申请书.pdf", "upload.empty")
    assert error.message == "文件“入党申请书.pdf”是空文件（0 字节），不能上传"
    refused(b"\xff", "入党申请书.pdf", "upload.type")  # one byte is not "empty": it is unknown


def test_refusal_names_the_cleaned_name_not_the_raw_one():
    """A bidi override in a name could make the message itself lie ("gpj.exe" shown as "exe.jpg")."""
    error = refused(samples.windows_executable(), "\u202egpj.exe", "upload.type")
    assert "\u202e" not in error.message and "文件“gpj.exe”" in error.message
