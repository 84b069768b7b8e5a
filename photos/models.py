"""Photos attached to a proposal (the site), a roadshow, a need or a candidate.

One table for all four: the files are the same kind of thing (a display copy and
a thumbnail, made by ``yishi.images``) and one permission-checked view serves
them. Exactly one of the four links is set (a ``CheckConstraint``).

A removed photo keeps its row (who removed it, when) and loses its files: the
record stays honest, the picture is gone. Where the object has an event log,
the removal is written there too (``photos.services``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

User = settings.AUTH_USER_MODEL

TARGETS = ("proposal", "agenda_item", "need", "candidate")


class PhotoQuerySet(models.QuerySet):
    def shown(self):
        return self.filter(removed_at__isnull=True)


class Photo(models.Model):
    proposal = models.ForeignKey(
        "proposals.Proposal", on_delete=models.PROTECT, null=True, blank=True, related_name="photos",
        verbose_name=_("议案"),
    )
    agenda_item = models.ForeignKey(
        "proposals.AgendaItem", on_delete=models.PROTECT, null=True, blank=True, related_name="photos",
        verbose_name=_("路演"),
    )
    need = models.ForeignKey(
        "needs.Need", on_delete=models.PROTECT, null=True, blank=True, related_name="photos", verbose_name=_("需求"),
    )
    candidate = models.ForeignKey(
        "elections.Candidate", on_delete=models.PROTECT, null=True, blank=True, related_name="photos",
        verbose_name=_("候选人"),
    )
    caption = models.CharField(_("照片说明"), max_length=120, blank=True)
    # Storage names (default_storage), the SHA-256 of the display copy: nothing in them to guess.
    image = models.CharField(_("照片文件"), max_length=200)
    thumb = models.CharField(_("缩略图文件"), max_length=200)
    width = models.PositiveSmallIntegerField(_("宽"))
    height = models.PositiveSmallIntegerField(_("高"))
    thumb_width = models.PositiveSmallIntegerField(_("缩略图宽"))
    thumb_height = models.PositiveSmallIntegerField(_("缩略图高"))
    content_hash = models.CharField(_("内容摘要"), max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    removed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("删除人"),
    )
    removed_at = models.DateTimeField(_("删除时间"), null=True, blank=True)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="photo_exactly_one_target",
                condition=(
                    Q(proposal__isnull=False, agenda_item__isnull=True, need__isnull=True, candidate__isnull=True)
                    | Q(proposal__isnull=True, agenda_item__isnull=False, need__isnull=True, candidate__isnull=True)
                    | Q(proposal__isnull=True, agenda_item__isnull=True, need__isnull=False, candidate__isnull=True)
                    | Q(proposal__isnull=True, agenda_item__isnull=True, need__isnull=True, candidate__isnull=False)
                ),
            ),
            # A candidate shows one face: a new photo replaces the old one (which is kept as removed).
            models.UniqueConstraint(
                fields=["candidate"], condition=Q(candidate__isnull=False, removed_at__isnull=True),
                name="photo_one_per_candidate",
            ),
        ]
        indexes = [
            # The photos of one object, in upload order (every page that shows them).
            models.Index(fields=["proposal", "uploaded_at"], name="photo_proposal_idx",
                         condition=Q(proposal__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.caption or f"#{self.pk}"

    @property
    def target_kind(self) -> str:
        return next(t for t in TARGETS if getattr(self, f"{t}_id") is not None)

    @property
    def target(self):
        return getattr(self, self.target_kind)
