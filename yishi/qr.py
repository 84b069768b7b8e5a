"""An inline SVG QR code for printed notices, receipts and posters: no style attribute, so the
strict CSP allows it; ``size_mm`` wide when printed. Shared by every app (yishi imports no app)."""

import qrcode
import qrcode.image.svg
from django.utils.html import escape


def qr_svg(url: str, size_mm: int = 70) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=4,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg"):]
    head, rest = svg.split(">", 1)
    attrs = [a for a in head[len("<svg"):].split(" ") if a and not a.startswith(("width=", "height="))]
    return "<svg " + " ".join(attrs) + (
        f' width="{size_mm}mm" height="{size_mm}mm" role="img" class="qr" aria-label="{escape(url)}"'
    ) + ">" + rest
