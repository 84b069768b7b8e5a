"""Demo photos, drawn with Pillow when the demo is seeded (no image files in the repository) and
passed through the same pipeline and services as an upload. Called once from ``portal.demo``.

- the resident's draft "3栋楼道加装扶手": two photos of the stairwell (private: the draft's);
- 北苑后门 (settled): the rusty gate before and the new gate after;
- 北苑中庭绿化补植 (in its notice): the bare beds;
- the roadshow of 南苑单元门禁维修: the broken door-entry panel and the group presenting;
- a need in 玉东社区: the photo staff took on a visit;
- faces (drawn, not real people) for the candidates of both courtyard elections, uploaded before
  their voting opened.

Idempotent: when any photo exists, nothing is added.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta

from PIL import Image, ImageDraw

from elections.models import Election
from needs.models import Need
from proposals.models import AgendaItem, Proposal
from yishi import images

from . import services
from .models import Photo

SIZE = (1200, 900)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def stairwell(broken: bool) -> bytes:
    image = Image.new("RGB", SIZE, (222, 214, 196))
    draw = ImageDraw.Draw(image)
    for n in range(8):  # the steps, going up to the right
        x, y = 100 + n * 120, 800 - n * 80
        draw.rectangle([x, y, x + 120, 900], fill=(150 - n * 6, 146 - n * 6, 140 - n * 6), outline=(90, 90, 90))
    rail = [(120, 640), (1080, 0)]
    draw.line(rail, fill=(120, 120, 130), width=18)
    if broken:
        draw.line([(520, 373), (640, 293)], fill=(222, 214, 196), width=26)  # the missing piece
        draw.line([(640, 293), (700, 330)], fill=(120, 120, 130), width=14)  # hanging loose
    return _png(image)


def gate(rusty: bool) -> bytes:
    image = Image.new("RGB", SIZE, (176, 206, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 700, 1200, 900], fill=(128, 128, 120))
    draw.rectangle([0, 250, 260, 700], fill=(196, 168, 140))
    draw.rectangle([940, 250, 1200, 700], fill=(196, 168, 140))
    colour = (139, 74, 36) if rusty else (38, 96, 64)
    draw.rectangle([280, 220, 920, 700], outline=colour, width=16)
    for x in range(320, 900, 56):
        draw.line([(x, 230), (x, 690)], fill=colour, width=10)
    if rusty:
        rng = random.Random(7)
        for _ in range(160):
            x, y = rng.randrange(280, 920), rng.randrange(220, 700)
            draw.ellipse([x, y, x + 14, y + 10], fill=(164, 92, 40))
    return _png(image)


def garden() -> bytes:
    image = Image.new("RGB", SIZE, (190, 220, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 420, 1200, 900], fill=(150, 118, 84))
    rng = random.Random(3)
    for _ in range(9):
        x, y = rng.randrange(60, 1100), rng.randrange(460, 820)
        draw.ellipse([x, y, x + 70, y + 40], fill=(96, 140, 70))
    return _png(image)


def door_panel() -> bytes:
    image = Image.new("RGB", SIZE, (205, 200, 190))
    draw = ImageDraw.Draw(image)
    draw.rectangle([380, 120, 820, 800], fill=(70, 74, 80), outline=(40, 40, 40), width=8)
    draw.rectangle([440, 180, 760, 360], fill=(30, 34, 38))
    draw.line([(450, 190), (750, 350)], fill=(200, 200, 200), width=4)  # the cracked screen
    for row in range(4):
        for col in range(3):
            x, y = 470 + col * 95, 420 + row * 90
            draw.rectangle([x, y, x + 70, y + 60], fill=(120, 124, 130))
    return _png(image)


def meeting_room() -> bytes:
    image = Image.new("RGB", SIZE, (236, 230, 218))
    draw = ImageDraw.Draw(image)
    draw.rectangle([300, 80, 900, 400], fill=(250, 250, 250), outline=(90, 90, 90), width=6)
    draw.rectangle([360, 140, 840, 340], fill=(70, 74, 80))
    draw.rectangle([150, 620, 1050, 720], fill=(150, 100, 60))
    for n in range(7):
        x = 190 + n * 125
        draw.ellipse([x, 520, x + 70, 590], fill=(60, 48, 40))
        draw.rectangle([x - 10, 590, x + 80, 640], fill=(40 + n * 20, 90, 140))
    return _png(image)


def bowl() -> bytes:
    image = Image.new("RGB", SIZE, (240, 232, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 520, 1200, 900], fill=(176, 132, 90))
    draw.chord([380, 300, 820, 700], 0, 180, fill=(240, 240, 246), outline=(120, 120, 140), width=6)
    draw.ellipse([380, 440, 820, 560], fill=(250, 250, 250), outline=(120, 120, 140), width=6)
    return _png(image)


def face(seed: int) -> bytes:
    rng = random.Random(seed)
    background = (rng.randrange(150, 230), rng.randrange(150, 230), rng.randrange(150, 230))
    image = Image.new("RGB", (800, 800), background)
    draw = ImageDraw.Draw(image)
    shirt = (rng.randrange(30, 160), rng.randrange(30, 160), rng.randrange(30, 160))
    draw.ellipse([150, 560, 650, 1060], fill=shirt)
    skin = (rng.randrange(200, 240), rng.randrange(160, 200), rng.randrange(130, 170))
    draw.ellipse([270, 180, 530, 480], fill=skin)
    hair = rng.choice([(40, 36, 34), (90, 90, 90), (200, 200, 200)])
    draw.chord([260, 160, 540, 380], 180, 360, fill=hair)
    for x in (340, 440):
        draw.ellipse([x, 310, x + 22, 332], fill=(40, 40, 40))
    draw.arc([350, 360, 450, 420], 20, 160, fill=(150, 70, 70), width=6)
    return _png(image)


def _add(target, actor, data: bytes, caption: str = "") -> Photo:
    return services.photo_add(target=target, actor=actor, image=images.process(data), caption=caption)


def seed_photos(b) -> None:
    """Called by ``portal.demo.DemoBuilder.build`` inside its transaction, after the rest of the world."""
    if Photo.objects.exists():
        b.report.had("照片")
        return
    b.report.did("照片")
    proposals = {p.title: p for p in Proposal.objects.filter(title__in=[
        "3栋楼道加装扶手", "北苑中庭绿化补植", "南苑单元门禁维修"]) | Proposal.objects.filter(title__startswith="北苑后门")}
    draft = proposals.get("3栋楼道加装扶手")
    if draft is not None:
        _add(draft, draft.author, stairwell(broken=True), "3栋2单元楼道，原来的扶手断了一截")
        _add(draft, draft.author, stairwell(broken=False), "4楼到5楼，没有扶手")
    back_gate = next((p for t, p in proposals.items() if t.startswith("北苑后门")), None)
    if back_gate is not None:
        _add(back_gate, back_gate.author, gate(rusty=True), "维修前：后门锈蚀，门禁失灵")
        _add(back_gate, back_gate.author, gate(rusty=False), "验收时：新装的后门")
    garden_p = proposals.get("北苑中庭绿化补植")
    if garden_p is not None:
        _add(garden_p, b.u("groupchair"), garden(), "中庭花坛，苗木大半枯死")
    item = AgendaItem.objects.filter(proposal__title="南苑单元门禁维修", presented_at__isnull=False).first()
    if item is not None:
        staff = b.u("communitystaff")
        _add(item, staff, door_panel(), "南苑3单元门禁主机，屏幕破裂")
        _add(item, staff, meeting_room(), "南苑小组在社区议事会上介绍项目")
    need = Need.objects.filter(community=b.communities["yudong"], category="elderly").order_by("pk").first()
    if need is not None:
        _add(need, b.u("yudong_staff"), bowl(), "走访时拍的：独居老人每天只吃一顿热饭")
    for election in Election.objects.filter(council__isnull=False).order_by("pk"):
        # Each candidate's face as uploaded in the nomination week. The elections have moved on
        # since (voting, results), so ``photo_add``'s "before voting opens" check would refuse it
        # today: the rows are written as they were then, through the same storing and logging.
        with b.at(election.nominations_close - timedelta(hours=1)):
            for candidate in election.candidates.select_related("user").order_by("pk"):
                services.attach("candidate", candidate, candidate.user, images.process(face(candidate.user_id)), "")
