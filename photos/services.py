"""Adding and removing photos: one transaction each, with the object's event log where it has one.

The image has been checked, stripped and resized by ``yishi.images`` (the form
field) before a service is called; ``photo_add`` writes its two files through
``default_storage`` and the row in the same step. ``photo_remove`` keeps the row
(who removed it and when), writes the removal to the object's log, and deletes
the files once the transaction has committed — unless another photo still
shows the same picture.
"""

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.enums import ElectionEventKind
from elections.models import Candidate, ElectionEvent
from needs.enums import NeedsEventKind
from needs.models import Need, NeedsEvent
from proposals.enums import EventKind
from proposals.history import event_write, lock_proposal
from proposals.models import AgendaItem, Proposal
from yishi import images
from yishi.errors import DomainError, PermissionDenied
from yishi.text import LINE_MAX, check_text

from . import policies
from .models import Photo

# How many photos one object shows at most (a candidate has one face; a new one replaces it).
MAX_PHOTOS = {"proposal": 6, "agenda_item": 6, "need": 3, "candidate": 1}
CAPTION_MAX = 120


def target_kind(target) -> str:
    for kind, model in (("proposal", Proposal), ("agenda_item", AgendaItem), ("need", Need),
                        ("candidate", Candidate)):
        if isinstance(target, model):
            return kind
    raise ValueError(f"photos cannot be attached to {type(target).__name__}")


def _lock(kind: str, target):
    """Lock the row that orders photo changes of ``target`` (the proposal for a roadshow)."""
    if kind == "proposal":
        return lock_proposal(target)
    if kind == "agenda_item":
        lock_proposal(target.proposal)
        return AgendaItem.objects.select_related("meeting__council__community", "proposal__group__community").get(
            pk=target.pk)
    model = Need if kind == "need" else Candidate
    return model.objects.select_for_update().get(pk=target.pk)


def _log(kind: str, target, photo: Photo, actor, *, added: bool) -> None:
    data = {"photo": photo.pk}
    if kind in ("proposal", "agenda_item"):
        proposal = target if kind == "proposal" else target.proposal
        if kind == "agenda_item":
            data["agenda_item"] = target.pk
        event_write(proposal=proposal, kind=EventKind.PHOTO_ADDED if added else EventKind.PHOTO_REMOVED,
                    actor=actor, reason=photo.caption, data=data)
    elif kind == "need":
        NeedsEvent.objects.create(
            community_id=target.community_id, need=target, actor=actor, reason=photo.caption, data=data,
            kind=NeedsEventKind.PHOTO_ADDED if added else NeedsEventKind.PHOTO_REMOVED,
        )
    else:
        data["candidate"] = target.pk
        ElectionEvent.objects.create(
            election_id=target.election_id, actor=actor, data=data,
            kind=ElectionEventKind.PHOTO_ADDED if added else ElectionEventKind.PHOTO_REMOVED,
        )


def photo_add(*, target, actor, image: images.ProcessedImage, caption: str = "") -> Photo:
    """Attach a processed photo to a proposal, a roadshow (agenda item), a need or a candidate.

    Writes the two files, the row and the event (proposal timeline, needs log or
    election log). A candidate's earlier photo is removed (kept as a record).
    """
    kind = target_kind(target)
    caption = check_text(caption or "", _("照片说明"), min(CAPTION_MAX, LINE_MAX), required=False)
    with transaction.atomic():
        target = _lock(kind, target)
        refusal = policies.add_refusal(actor, kind, target)
        if refusal:
            raise PermissionDenied(refusal)
        shown = Photo.objects.shown().filter(**{kind: target})
        replaced = []
        if kind == "candidate":
            replaced = list(shown)
        elif shown.count() >= MAX_PHOTOS[kind]:
            raise DomainError(_("最多只能添加 %(n)d 张照片。请先删除一张，再添加新的。") % {"n": MAX_PHOTOS[kind]})
        for old in replaced:
            _remove_locked(old, kind, target, actor)
        return attach(kind, target, actor, image, caption)


def attach(kind: str, target, actor, image: images.ProcessedImage, caption: str) -> Photo:
    """Store the files, write the row and the event. The caller holds the lock and has checked the rules
    (``photo_add``; the demo seed, which adds candidates' faces as of their nomination week)."""
    name, thumb = images.store(image)
    photo = Photo.objects.create(
        **{kind: target}, caption=caption, image=name, thumb=thumb, width=image.width, height=image.height,
        thumb_width=image.thumb_width, thumb_height=image.thumb_height, content_hash=image.content_hash,
        uploaded_by=actor,
    )
    _log(kind, target, photo, actor, added=True)
    return photo


def _remove_locked(photo: Photo, kind: str, target, actor) -> None:
    photo.removed_at = timezone.now()
    photo.removed_by = actor
    photo.save(update_fields=["removed_at", "removed_by"])
    _log(kind, target, photo, actor, added=False)
    transaction.on_commit(lambda: _discard_files(photo))


def _discard_files(photo: Photo) -> None:
    # The same picture uploaded to another object shares the files (content-hash names).
    if not Photo.objects.shown().filter(content_hash=photo.content_hash).exists():
        images.discard(photo.image, photo.thumb)


def photo_remove(*, photo: Photo, actor) -> Photo:
    """Remove a photo: the row stays (who, when), the event is written, the files are deleted after commit."""
    with transaction.atomic():
        kind = photo.target_kind
        target = _lock(kind, photo.target)
        photo = Photo.objects.select_for_update().get(pk=photo.pk)
        if photo.removed_at is not None:
            raise DomainError(_("这张照片已经删除了。"))
        refusal = policies.remove_refusal(actor, photo)
        if refusal:
            raise PermissionDenied(refusal)
        _remove_locked(photo, kind, target, actor)
    return photo


def with_photo(image: images.ProcessedImage | None, actor, create):
    """Run ``create()`` (a service that makes the object) and attach ``image`` to what it made, in one
    transaction: the need is not raised without the photo the resident chose, nor the photo kept without it."""
    with transaction.atomic():
        target = create()
        if image is not None:
            photo_add(target=target, actor=actor, image=image)
    return target


def first_photo(kind: str):
    """A subquery for ``annotate``: the id of an object's first shown photo (list pages, no extra query)."""
    return Subquery(Photo.objects.shown().filter(**{kind: OuterRef("pk")}).order_by("uploaded_at", "pk")
                    .values("pk")[:1])
