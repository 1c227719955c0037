"""The demo's 材料: as a step is done, the files of its required materials are put on record.

A township mid-way through moving its paper into partyflow: four of its fourteen branches (three
villages and the township offices) put their files on record as they go — a photographed page (a
small picture with the material's name), or, where a form can stand for it, the form generated
from the record ("生成并附上") — most candidates' files whole, the others' with about one in four
missing; the other branches still
keep theirs on paper. So the queue, the 待办 and the candidate page show both complete files and
缺少材料, as a real township would.
Every file goes through the same use case as an upload from the web (intake, object store,
attachment row, audit row). The choices come from a generator seeded by candidate and step, so
the rest of the simulation draws the same numbers with or without materials.
"""
from __future__ import annotations

import io
import random
import zlib
from datetime import date
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from engine import DomainError
from services.accounts.access import step_side
from services.app import App
from services.demo.accounts import demo_actor
from services.materials.catalogue import catalogue_of
from services.materials.files import attach
from services.materials.generated import attach_generated

DILIGENT = 0.6  # share of candidates (of the filing branches) with every required file
MISSING = 0.25  # of the others: share of required materials left without a file
GENERATED = 0.1  # share of those a form can stand for that get the generated form (~0.1 s of CPU each)
PAGE = (620, 877)  # an A4 page at 75 dpi: small, quick to re-encode
FONTS = (("NotoSansCJK-Regular.ttc", 2), ("NotoSerifCJK-Regular.ttc", 2), ("wqy-microhei.ttc", 0),
         ("wqy-zenhei.ttc", 0))  # (file, face index: 2 = SC in the Noto collections)


def filing_branches(town: dict) -> set[int]:
    """The branches that put their files into partyflow: the first three villages, the township offices."""
    return set(town["branches"][:3]) | {town["branches"][10]}


def file_step_materials(app: App, town: dict, cid: int, step: str, on: date) -> int:
    """Files for the required materials of `step` (just done on `on`); returns how many."""
    with app.uow(read_only=True) as uow:
        row = uow.candidates.get(cid)
        if row.branch_id not in filing_branches(town):
            return 0
        defn = app.definition(row.definition_key)
        catalogue = catalogue_of(app, uow, defn, row.branch_id)
    missing = 0.0 if random.Random(cid).random() < DILIGENT else MISSING
    rng = random.Random(zlib.crc32(f"{cid}:{step}".encode()))
    filed = 0
    for m in catalogue.items:
        if m.step != step or not m.required or rng.random() < missing:
            continue
        side = step_side(m.by or defn.step(step).actor)
        actor = demo_actor(town, row.branch_id, "township" if side == "township" else "branch")
        try:
            if m.generated and rng.random() < GENERATED:
                attach_generated(app, cid, m.generated, actor=actor)
            else:
                attach(app, cid, page_photo(m.name), f"{m.name}.jpg", actor=actor, material=m.id, document_date=on)
        except DomainError:
            continue  # a form whose facts this candidate's road lacks: left missing, like the rest
        filed += 1
    return filed


@lru_cache(maxsize=64)
def page_photo(title: str) -> bytes:
    """A white page with the material's name, as a JPEG (a phone photo stands in for it). One per
    material: the store keeps its bytes once (content-addressed), as it would a form scanned twice."""
    im = Image.new("L", PAGE, 250)
    draw = ImageDraw.Draw(im)
    draw.rectangle((40, 40, PAGE[0] - 40, PAGE[1] - 40), outline=90, width=2)
    font = _font(26)
    if font is not None:
        draw.text((PAGE[0] // 2, 110), title, fill=20, font=font, anchor="mm")
    for y in range(170, PAGE[1] - 160, 34):  # lines of "text"
        draw.line((80, y, PAGE[0] - 80 - (y * 37) % 120, y), fill=120, width=3)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80)
    return out.getvalue()


@lru_cache(maxsize=4)
def _font(size: int):
    """A Chinese font Pillow can find on this machine, or None (the page then has no title)."""
    for name, index in FONTS:
        try:
            return ImageFont.truetype(name, size, index=index)
        except OSError:
            continue
    return None
