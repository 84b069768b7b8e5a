"""A resident on a 360 px phone, large text on, photographs the broken handrail for her draft:
a wrong file first (the sentence), then the photo; the draft's page shows it; a neighbour from
another courtyard gets 404 for the same image address."""

import re

import pytest
from playwright.sync_api import expect

from photos.models import Photo
from tests.factories import PASSWORD, build_world, make_proposal
from tests.photo_support import gps_jpeg, has_gps

from .helpers import SCREENSHOTS, log_in, no_horizontal_overflow, overflowing_elements

PHONE_360 = {"width": 360, "height": 780}


@pytest.mark.browser
def test_resident_uploads_a_photo_from_a_360px_phone(people, watch, tmp_path):
    world = build_world(group_seats=3, community_seats=3, residents=2)
    draft = make_proposal(world, title="3栋楼道加装扶手")
    stranger = build_world(group_seats=1, community_seats=3, residents=1, prefix="外").residents[0]
    photo_file = tmp_path / "IMG_0042.jpg"
    photo_file.write_bytes(gps_jpeg((3000, 2250), orientation=6))
    not_a_photo = tmp_path / "receipt.jpg"
    not_a_photo.write_bytes(b"this is a text file with a .jpg name")

    page = people(viewport=PHONE_360).new_page()
    log_in(page, world.author.username, PASSWORD, next_url=f"/proposals/{draft.pk}/")
    page.get_by_role("button", name=re.compile("大字")).click()
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
    page.get_by_role("link", name="添加现场照片").click()
    expect(page.get_by_role("heading", name="现场照片", level=1)).to_be_visible()

    # A file that is not a photo: the sentence next to the field, nothing stored.
    watch.allowed_statuses.add(400)
    page.locator("input[type=file]").set_input_files(str(not_a_photo))
    page.get_by_role("button", name="上传照片").click()
    expect(page.get_by_text("这个文件不是照片")).to_be_visible()
    assert not Photo.objects.exists()

    page.locator("input[type=file]").set_input_files(str(photo_file))
    page.get_by_label("照片说明（可不填）").fill("3栋2单元楼道，扶手断了一截")
    page.get_by_role("button", name="上传照片").click()
    expect(page.get_by_text("照片已添加")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/proposals/{draft.pk}/#photos$"))

    image = page.get_by_role("img", name="3栋2单元楼道，扶手断了一截")
    expect(image).to_be_visible()
    assert image.get_attribute("loading") == "lazy"
    # Orientation 6 applied: the phone's landscape sensor image is shown upright (portrait).
    assert int(image.get_attribute("height")) > int(image.get_attribute("width"))
    box = image.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert no_horizontal_overflow(page), overflowing_elements(page)
    page.locator("#photos").scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "photo-upload-phone-360.png"), full_page=True)

    photo = Photo.objects.get()
    served = page.request.get(f"/photos/{photo.pk}/d.jpg")
    assert served.status == 200 and not has_gps(served.body())

    # Another courtyard's resident: the draft and its photo do not exist for them.
    other = people(viewport=PHONE_360).new_page()
    log_in(other, stranger.username, PASSWORD)
    assert other.request.get(f"/photos/{photo.pk}/t.jpg").status == 404
    watch.assert_clean()
