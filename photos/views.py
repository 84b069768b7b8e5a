"""Serving, adding and removing photos.

Photos are never at a public URL of the web server or the storage bucket: every
image goes through ``image``, which checks that the viewer may see the object
it belongs to (a draft's photo answers 404 to anyone outside the draft's group,
as the draft does). Public objects' photos are marked cacheable by shared
caches; private ones only by the viewer's browser. See docs/operations.md, Photos.
"""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from elections.models import Candidate
from needs.models import Need
from proposals.models import AgendaItem, Proposal
from proposals.views.common import forbidden
from yishi.errors import PermissionDenied
from yishi.views import attempt

from . import policies, services
from .forms import PhotoForm
from .models import Photo

KINDS = {
    "proposal": Proposal.objects.select_related("group__community"),
    "agenda_item": AgendaItem.objects.select_related("proposal__group__community", "meeting__council__community"),
    "need": Need.objects.select_related("community"),
    "candidate": Candidate.objects.select_related("election__community", "user"),
}
CACHE_SECONDS = 3600
# Opened on its own (the "full size" link), an image is shown by the browser's image viewer, which
# styles it inline; the site's policy would block that. An image response runs nothing: it allows
# inline style and nothing else.
IMAGE_CSP = {"default-src": [CSP.NONE], "img-src": [CSP.SELF], "style-src": [CSP.UNSAFE_INLINE]}


def describe(kind: str, target) -> dict:
    """What the photo page says about the object, and where "back" goes."""
    if kind == "proposal":
        return {"title": target.title, "back": reverse("proposals:detail", args=[target.pk]) + "#photos",
                "heading": _("现场照片")}
    if kind == "agenda_item":
        return {"title": target.proposal.title,
                "back": reverse("proposals:meeting_detail", args=[target.meeting_id]) + f"#agenda-{target.pk}",
                "heading": _("路演照片")}
    if kind == "need":
        return {"title": target.text[:40], "back": reverse("needs:ledger") + f"?community={target.community.slug}",
                "heading": _("需求照片")}
    return {"title": target.user.display_name, "back": reverse("elections:detail", args=[target.election_id]),
            "heading": _("候选人照片")}


def _target_or_404(request, kind: str, pk: int):
    if kind not in KINDS:
        raise Http404
    target = get_object_or_404(KINDS[kind], pk=pk)
    if not policies.can_view_target(request.user, kind, target):
        raise Http404
    return target


@require_GET
@csp_override(IMAGE_CSP)
def image(request, pk: int, size: str):
    """The display copy (``d``) or thumbnail (``t``) of a photo the viewer may see; 404 otherwise."""
    if size not in ("d", "t"):
        raise Http404
    photo = Photo.objects.filter(pk=pk, removed_at__isnull=True).first()
    if photo is None or not policies.can_view(request.user, photo):
        raise Http404
    etag = f'"{photo.content_hash[:32]}{size}"'
    public = policies.can_view(AnonymousUser(), photo)
    cache = f"{'public' if public else 'private'}, max-age={CACHE_SECONDS}"
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        try:
            handle = default_storage.open(photo.image if size == "d" else photo.thumb, "rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, content_type="image/jpeg")
    response["ETag"] = etag
    response["Cache-Control"] = cache
    if not public:
        response["Vary"] = "Cookie"
    return response


def manage(request, kind: str, pk: int):
    """The photos of one object: see them; add one (a form with the sentence for a bad file); remove."""
    target = _target_or_404(request, kind, pk)
    about = describe(kind, target)
    add_refusal = policies.add_refusal(request.user, kind, target)
    form = PhotoForm()
    status = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('portal:login')}?next={request.path}")
        if add_refusal:
            return forbidden(request, add_refusal)
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            if attempt(request, lambda: services.photo_add(target=target, actor=request.user, image=d["photo"],
                                                           caption=d["caption"]),
                       success=_("照片已添加。"), form=form):
                return redirect(about["back"])
        status = 400 if not form.non_field_errors() else 409
    photos = list(Photo.objects.shown().filter(**{kind: target}).select_related("uploaded_by"))
    for photo in photos:
        photo.may_remove = policies.remove_refusal(request.user, photo) is None
    return render(request, "photos/manage.html", {
        "kind": kind, "target": target, "about": about, "photos": photos, "form": form,
        "may_add": add_refusal is None, "limit": services.MAX_PHOTOS[kind],
    }, status=status)


@login_required
@require_POST
def remove(request, pk: int):
    photo = get_object_or_404(Photo.objects.shown(), pk=pk)
    kind, target = photo.target_kind, photo.target
    if not policies.can_view_target(request.user, kind, target):
        raise Http404
    try:
        attempt(request, lambda: services.photo_remove(photo=photo, actor=request.user),
                success=_("照片已删除；谁在什么时候删除的，会留在记录里。"))
    except PermissionDenied as refusal:
        return forbidden(request, str(refusal))
    return redirect(reverse("photos:manage", args=[kind, target.pk]))
