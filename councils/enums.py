from django.db import models
from django.utils.translation import gettext_lazy as _


class CouncilKind(models.TextChoices):
    GROUP = "group", _("居民小组议事会")
    COMMUNITY = "community", _("社区议事会")


class SeatRole(models.TextChoices):
    CHAIR = "chair", _("召集人")
    MEMBER = "member", _("成员")


class StaffLevel(models.TextChoices):
    COMMUNITY = "community", _("社区工作人员")
    SUBDISTRICT = "subdistrict", _("街道办工作人员")


class PostKind(models.TextChoices):
    """R23: what a community staff post is; a party-organisation post is still a community staff post."""

    STAFF = "staff", _("社区工作人员")
    PARTY = "party", _("社区党组织")


class BoardTitle(models.TextChoices):
    MEMBER = "member", _("监事会成员")
    INTEGRITY = "integrity", _("廉情监督员")
    DISCIPLINE = "discipline", _("街道纪工委")
