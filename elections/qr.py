"""An inline SVG QR code for the printed results notice (as the proposals' notice poster makes
it: no style attribute, so the CSP allows it). Kept here so elections depend on councils only."""

import qrcode
import qrcode.image.svg
from django.utils.html import escape


def qr_svg(url: str, size_mm: int = 60) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=4,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg"):]
    head, rest = svg.split(">", 1)
    attrs = [a for a in head[len("<svg"):].split(" ") if a and not a.startswith(("width=", "height="))]
    return "<svg " + " ".join(attrs) + (
        f' width="{size_mm}mm" height="{size_mm}mm" role="img" class="qr" aria-label="{escape(url)}"'
    ) + ">" + rest
