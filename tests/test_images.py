"""The image pipeline (yishi/images.py): every bad file refused with a sentence, nothing of the
original's metadata kept, the photo turned upright and re-encoded at the display and thumbnail sizes."""

import io
import struct
import zlib

import pytest
from django import forms
from django.core.files.storage import default_storage
from PIL import ExifTags, Image

from tests.photo_support import gps_exif, gps_jpeg, has_gps, image_bytes, upload
from yishi import images
from yishi.images import PhotoField


def refusal(data: bytes, name="photo.jpg") -> str:
    with pytest.raises(forms.ValidationError) as caught:
        PhotoField().clean(upload(data, name))
    return " ".join(caught.value.messages)


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


# --------------------------------------------------------------------------- refused, with a sentence


def test_text_file_renamed_jpg_is_refused():
    assert "不是照片" in refusal(b"this is a shopping list, not a photo\n", "handrail.jpg")


def test_pdf_renamed_jpg_is_refused():
    assert "不是照片" in refusal(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "scan.jpg")


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO"])
def test_other_image_formats_are_refused_naming_the_format(fmt):
    message = refusal(image_bytes((64, 64), fmt=fmt), f"picture.{fmt.lower()}")
    assert "JPEG" in message and fmt in message


def test_empty_file_is_refused():
    assert "空的" in refusal(b"", "empty.jpg")


def test_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 50_000)
    data = image_bytes((1500, 1500), fmt="PNG") + b"\0" * 60_000
    assert "照片太大了" in refusal(data, "big.png")


def test_real_size_limit_is_ten_megabytes():
    data = b"\xff\xd8" + b"\0" * (10 * 1024 * 1024)
    assert "照片太大了" in refusal(data, "huge.jpg")


def test_decompression_bomb_is_refused_not_decoded():
    # 10 000 × 10 000 one-bit pixels: a 12 kB file that would decode to 100 megapixels.
    bomb = image_bytes((10_000, 10_000), fmt="PNG", mode="1", color=0)
    assert len(bomb) < 100_000
    assert "像素太多" in refusal(bomb, "bomb.png")


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def test_header_claiming_gigapixels_is_refused():
    assert "像素太多" in refusal(_png_header_only(60_000, 60_000), "bomb.png")


def test_truncated_jpeg_is_refused():
    whole = image_bytes((1200, 900), color=(10, 200, 30), quality=95)
    message = refusal(whole[: len(whole) // 3], "cut.jpg")
    assert "损坏" in message


def test_form_field_says_what_to_do_when_required_and_missing():
    with pytest.raises(forms.ValidationError) as caught:
        PhotoField().clean(None)
    assert "请选择一张照片" in " ".join(caught.value.messages)


def test_optional_field_without_a_file_is_none():
    assert PhotoField(required=False).clean(None) is None


# --------------------------------------------------------------------------- metadata


def test_gps_position_is_stripped_from_display_and_thumbnail():
    original = gps_jpeg()
    assert has_gps(original)  # the test image really carries a position
    assert b"YishiPhone" in original
    processed = images.process(original)
    for data in (processed.display, processed.thumb):
        assert not has_gps(data)
        assert len(opened(data).getexif()) == 0
        assert b"Exif" not in data and b"YishiPhone" not in data and b"Serial 0042" not in data


def test_png_text_chunks_and_icc_profiles_are_not_kept():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "家住3栋2单元101")
    source = io.BytesIO()
    Image.new("RGB", (300, 200), (1, 2, 3)).save(source, format="PNG", pnginfo=info, icc_profile=b"\0" * 128)
    processed = images.process(source.getvalue())
    assert "家住".encode() not in processed.display
    assert opened(processed.display).info.get("icc_profile") is None


def test_exif_orientation_is_applied():
    # A phone held upright writes a landscape sensor image and orientation 6 (turn 90° clockwise).
    image = Image.new("RGB", (300, 200), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 150, 200))  # left half red
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    source = io.BytesIO()
    image.save(source, format="JPEG", exif=exif, quality=95)
    processed = images.process(source.getvalue())
    shown = opened(processed.display).convert("RGB")
    assert (processed.width, processed.height) == (200, 300) == shown.size
    top, bottom = shown.getpixel((100, 20)), shown.getpixel((100, 280))
    assert top[0] > 200 and top[2] < 60  # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert 274 not in opened(processed.display).getexif()


# --------------------------------------------------------------------------- sizes, formats, names


def test_reencoded_at_display_and_thumbnail_sizes():
    processed = images.process(image_bytes((4000, 3000)))
    assert (processed.width, processed.height) == (1600, 1200)
    assert (processed.thumb_width, processed.thumb_height) == (400, 300)
    assert opened(processed.display).format == "JPEG" and opened(processed.display).size == (1600, 1200)
    assert opened(processed.thumb).size == (400, 300)


def test_small_photo_is_not_enlarged():
    processed = images.process(image_bytes((320, 240)))
    assert (processed.width, processed.height) == (320, 240)
    assert (processed.thumb_width, processed.thumb_height) == (320, 240)


@pytest.mark.parametrize("fmt,mode,color", [("PNG", "RGBA", (255, 0, 0, 0)), ("WEBP", "RGB", (0, 90, 0)),
                                            ("PNG", "P", 3), ("JPEG", "CMYK", (0, 0, 0, 255))])
def test_accepted_formats_become_rgb_jpeg(fmt, mode, color):
    processed = images.process(image_bytes((640, 480), fmt=fmt, mode=mode, color=color))
    assert opened(processed.display).format == "JPEG"
    assert opened(processed.display).mode == "RGB"


def test_transparent_png_is_laid_on_white():
    processed = images.process(image_bytes((100, 100), fmt="PNG", mode="RGBA", color=(255, 0, 0, 0)))
    assert min(opened(processed.display).convert("RGB").getpixel((50, 50))) > 240


def test_heic_from_an_iphone_is_accepted():
    assert images.HEIF  # pillow-heif comes with the lock file
    processed = images.process(image_bytes((1200, 900), fmt="HEIF", exif=gps_exif()))
    assert (processed.width, processed.height) == (1200, 900)
    assert not has_gps(processed.display)


def test_content_hash_names_are_stable_and_unguessable():
    a, b = images.process(gps_jpeg()), images.process(gps_jpeg())
    assert a.name == b.name and a.thumb_name == b.thumb_name
    assert a.content_hash in a.name and len(a.content_hash) == 64
    assert images.process(image_bytes(color=(1, 1, 1))).name != a.name


def test_store_writes_through_default_storage_once():
    processed = images.process(gps_jpeg())
    name, thumb = images.store(processed)
    assert (name, thumb) == (processed.name, processed.thumb_name)
    assert images.store(processed) == (name, thumb)
    with default_storage.open(name) as f:
        assert f.read() == processed.display
    images.discard(name, thumb)
    assert not default_storage.exists(name) and not default_storage.exists(thumb)
