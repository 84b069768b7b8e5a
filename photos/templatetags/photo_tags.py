"""Photos in other apps' pages: one query per page whatever the number of objects.

``{% photos_of proposal as photos %}`` — one object's photos;
``{% photos_by candidates "candidate" as faces %}`` — a dict id → photos for many objects;
``{{ faces|photos_for:c.pk }}`` — one object's list from that dict;
``{% photo_gallery photos alt=... %}`` — the thumbnails (width/height, alt, lazy), each a link to the display copy;
``{% photo_manage_url "proposal" proposal %}`` — the page to add or remove them, when the viewer may.
"""

from django import template
from django.urls import reverse

from photos import policies
from photos.models import Photo

register = template.Library()


@register.simple_tag
def photos_of(obj, kind: str = "proposal"):
    return list(Photo.objects.shown().filter(**{kind: obj}))


@register.simple_tag
def photos_by(objs, kind: str):
    ids = [getattr(o, "pk", o) for o in objs]
    found: dict = {}
    if ids:
        for photo in Photo.objects.shown().filter(**{f"{kind}_id__in": ids}):
            found.setdefault(getattr(photo, f"{kind}_id"), []).append(photo)
    return found


@register.filter
def photos_for(found: dict, pk):
    return (found or {}).get(pk, [])


@register.inclusion_tag("photos/_gallery.html")
def photo_gallery(photos, alt: str = "", size: str = "", lazy: bool = True):
    """``lazy=False`` for a page that is printed (the poster): a lazy image below the fold may not print."""
    return {"photos": photos, "alt": alt, "size": size, "lazy": lazy}


@register.simple_tag(takes_context=True)
def photo_manage_url(context, kind: str, obj):
    """The photo page's address when the viewer may add (or remove) photos of ``obj``; "" otherwise."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    if policies.add_refusal(user, kind, obj) is None:
        return reverse("photos:manage", args=[kind, obj.pk])
    return ""
