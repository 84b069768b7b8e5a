"""Images made with Pillow for the photo tests: nothing binary is kept in the repository."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

# 成都 (30.66 N, 104.06 E): the position a phone writes into a photo's EXIF.
GPS_LATITUDE = (30.0, 39.0, 36.0)
GPS_LONGITUDE = (104.0, 3.0, 36.0)


def image_bytes(size=(800, 600), fmt="JPEG", color=(200, 120, 40), mode="RGB", exif=None, **save) -> bytes:
    image = Image.new(mode, size, color)
    out = io.BytesIO()
    if exif is not None:
        save["exif"] = exif
    image.save(out, format=fmt, **save)
    return out.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "YishiPhone"
    exif[ExifTags.Base.Model] = "Serial 0042"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LONGITUDE
    return exif


def gps_jpeg(size=(1200, 900), orientation: int | None = None) -> bytes:
    return image_bytes(size, exif=gps_exif(orientation))


def upload(data: bytes, name="handrail.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def has_gps(data: bytes) -> bool:
    exif = Image.open(io.BytesIO(data)).getexif()
    return bool(exif.get_ifd(ExifTags.IFD.GPSInfo))
