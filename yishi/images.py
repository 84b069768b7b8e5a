"""The one image pipeline: every photo a person uploads passes through ``process`` before it is stored.

Residents photograph a broken handrail on a phone; what reaches the disk must be
a plain picture and nothing else. So an upload is:

1. refused when it is larger than ``MAX_UPLOAD_BYTES`` or empty;
2. decoded by Pillow (a renamed file that is not an image is refused; so is any
   format other than JPEG, PNG, WebP and — when pillow-heif is installed, as it is
   by the lock file — HEIC/HEIF from iPhones); its pixel count is checked from the
   header before the pixels are decoded, so a decompression bomb is refused
   without allocating it;
3. turned upright by its EXIF orientation, then rebuilt from its pixels alone, so
   no metadata survives: no GPS position, no camera serial, no ICC profile, no
   comment, no thumbnail of the uncropped original;
4. resized to a display copy (longest side ``DISPLAY_MAX``) and a thumbnail
   (``THUMB_MAX``), both re-encoded as JPEG;
5. stored through Django's storage API (``default_storage``: the file system in
   the demo, any S3-compatible storage by setting) under the SHA-256 of the
   display copy, so a name says nothing about the photo and cannot be guessed.

``PhotoField`` is the form field: it returns a ``ProcessedImage`` or a form
error with a sentence for every bad file. Nothing is stored before a form is
valid; ``store`` writes the two files.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django import forms
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DomainError

try:  # HEIC/HEIF, the iPhone's default; installed from the lock file, optional for the pipeline itself.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - the lock file installs it
    HEIF = False

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# 40 megapixels: a 2026 phone's largest photo is ~50 MP only in "raw" modes; a bomb is far beyond.
MAX_PIXELS = 40_000_000
DISPLAY_MAX = 1600
THUMB_MAX = 400
JPEG_QUALITY = 82
ACCEPTED = {"JPEG", "PNG", "WEBP"} | ({"HEIF"} if HEIF else set())
ACCEPT_ATTR = "image/jpeg,image/png,image/webp" + (",image/heic,image/heif,.heic,.heif" if HEIF else "")
STORAGE_DIR = "photos"

# Pillow's own bomb guard raises at twice its limit and warns above it; ours refuses above MAX_PIXELS first.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageRefused(DomainError):
    """A file that is not a photo Yishi can take; the message says what to do instead."""


@dataclass(frozen=True)
class ProcessedImage:
    display: bytes
    width: int
    height: int
    thumb: bytes
    thumb_width: int
    thumb_height: int
    content_hash: str

    @property
    def name(self) -> str:
        return f"{STORAGE_DIR}/{self.content_hash[:2]}/{self.content_hash}.jpg"

    @property
    def thumb_name(self) -> str:
        return f"{STORAGE_DIR}/{self.content_hash[:2]}/{self.content_hash}-t.jpg"


def _refuse_format(found: str | None) -> ImageRefused:
    if HEIF:
        accepted = _("只能上传 JPEG、PNG、WebP 或 HEIC 格式的照片")
    else:
        accepted = _("只能上传 JPEG、PNG 或 WebP 格式的照片")
    if found in ("HEIF", "HEIC", "AVIF"):
        return ImageRefused(_(
            "这张照片是 HEIC 格式，本站暂不能读取。请在手机“设置 → 相机 → 格式”中选“兼容性最佳”后重新拍摄，"
            "或截屏后上传截图（截图是 PNG 格式）。"
        ))
    return ImageRefused(_("%(accepted)s（手机拍摄的照片都可以）；这个文件是 %(found)s 格式。") % {
        "accepted": accepted, "found": found or _("未知"),
    })


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels only: transparency laid on white, palettes, CMYK and 16-bit greys converted."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode == "I;16" or image.mode == "I":
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def _encode(image: Image.Image, longest: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    # Rebuilt from the pixels alone: nothing of the original's info (EXIF, ICC, XMP, comments) is carried.
    clean = Image.frombytes("RGB", copy.size, copy.tobytes())
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue(), clean.width, clean.height


def process(upload) -> ProcessedImage:
    """Check, decode, turn upright, strip and resize ``upload`` (a file object or bytes); or ``ImageRefused``."""
    if isinstance(upload, bytes | bytearray):
        data = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > MAX_UPLOAD_BYTES:
            raise _too_big(size)
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        raise ImageRefused(_("这个文件是空的。请重新选择照片。"))
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_big(len(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _bomb() from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise ImageRefused(_(
                "这个文件不是照片，或者已经损坏，无法打开。请直接从手机相册选择照片（JPEG、PNG 或 WebP）。"
            )) from None
        if image.format not in ACCEPTED:
            raise _refuse_format(image.format)
        width, height = image.size
        if width < 1 or height < 1 or width * height > MAX_PIXELS:
            raise _bomb()
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            flat = _flatten(upright)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _bomb() from None
        except (OSError, ValueError, SyntaxError, EOFError):
            raise ImageRefused(_("这张照片的文件不完整或已损坏，无法读取。请重新拍摄或重新选择。")) from None
    display, w, h = _encode(flat, DISPLAY_MAX)
    thumb, tw, th = _encode(flat, THUMB_MAX)
    return ProcessedImage(display=display, width=w, height=h, thumb=thumb, thumb_width=tw, thumb_height=th,
                          content_hash=hashlib.sha256(display).hexdigest())


def _too_big(size: int) -> ImageRefused:
    return ImageRefused(_("照片太大了（%(size).1f MB）。请选择小于 %(limit)d MB 的照片，或在手机上把照片调小后再上传。") % {
        "size": size / 1024 / 1024, "limit": MAX_UPLOAD_BYTES // 1024 // 1024,
    })


def _bomb() -> ImageRefused:
    return ImageRefused(_("这张图片的像素太多（超过 %(mp)d 百万像素），无法处理。请上传普通手机拍摄的照片。") % {
        "mp": MAX_PIXELS // 1_000_000,
    })


def store(image: ProcessedImage) -> tuple[str, str]:
    """Write the display copy and the thumbnail through ``default_storage``; their storage names.

    The same photo uploaded twice has the same names: the files are written once.
    """
    names = []
    for name, content in ((image.name, image.display), (image.thumb_name, image.thumb)):
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(content))
        names.append(name)
    return names[0], names[1]


def discard(*names: str) -> None:
    """Delete stored files (a removed photo); a file already gone is not an error."""
    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except FileNotFoundError:
                pass


class PhotoInput(forms.ClearableFileInput):
    """A plain file input that offers the phone's camera and album for the accepted formats."""

    clear_checkbox_label = gettext_lazy("删除")

    def __init__(self, attrs=None):
        super().__init__({"accept": ACCEPT_ATTR, **(attrs or {})})


class PhotoField(forms.FileField):
    """A photo upload: ``clean`` returns a ``ProcessedImage`` or a form error that says what to do."""

    widget = PhotoInput

    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("照片"))
        kwargs.setdefault("help_text", gettext_lazy("JPEG、PNG、WebP 或 HEIC，不超过 10 MB；位置信息会被删除。"))
        kwargs.setdefault("error_messages", {
            "required": gettext_lazy("请选择一张照片。"),
            "invalid": gettext_lazy("没有收到照片文件，请重新选择。"),
            "empty": gettext_lazy("这个文件是空的。请重新选择照片。"),
            "missing": gettext_lazy("没有收到照片文件，请重新选择。"),
        })
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return None
        try:
            return process(upload)
        except ImageRefused as refused:
            raise forms.ValidationError(str(refused), code="image") from None
