"""The photo upload form: the image through ``yishi.images.PhotoField``, the caption through ``LineField``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yishi.images import PhotoField
from yishi.text import LineField

CAPTION_MAX = 120


class PhotoForm(forms.Form):
    photo = PhotoField()
    caption = LineField(
        label=_("照片说明（可不填）"), max_length=CAPTION_MAX, required=False,
        help_text=_("写一句照片里是什么，例如“3栋2单元楼道，扶手松动”。看不见照片的人会听到这句话。"),
    )
