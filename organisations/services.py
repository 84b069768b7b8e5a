"""Registering and incubating organisations (R18).

Each function runs in one transaction, re-reads the organisation under its row
lock, checks again, changes it and writes one ``OrganisationEvent``. A refusal
raises ``DomainError`` with a sentence a person can act on and changes nothing.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from councils import policies
from councils.models import Community
from yishi.errors import DomainError, InvalidTransition, PermissionDenied

from .enums import (
    TRANSITIONS,
    MemberRole,
    OrganisationEventKind,
    OrganisationKind,
    OrganisationStatus,
)
from .models import Incubation, Organisation, OrganisationEvent, OrganisationMember
from .validators import normalise_credit_code, validate_credit_code

OS = OrganisationStatus


def event_write(*, organisation: Organisation, kind: str, actor, from_status: str = "", to_status: str = "",
                data: dict | None = None) -> OrganisationEvent:
    return OrganisationEvent.objects.create(
        organisation=organisation, kind=kind, actor=actor, from_status=from_status, to_status=to_status,
        data=data or {},
    )


def lock_organisation(organisation: Organisation) -> Organisation:
    organisation.refresh_from_db(from_queryset=Organisation.objects.select_for_update())
    return organisation


def staff_of_any(user, organisation: Organisation) -> bool:
    return any(policies.is_community_staff(user, c) for c in organisation.communities.all())


def _require_staff_of_any(user, organisation: Organisation, action: str) -> None:
    if not staff_of_any(user, organisation):
        raise PermissionDenied(
            _("只有%(org)s所服务社区的工作人员可以%(action)s。") % {"org": organisation.name, "action": action}
        )


def _transition(organisation: Organisation, to_status: str) -> str:
    old = organisation.status
    if to_status not in TRANSITIONS[old]:
        raise InvalidTransition(
            _("%(org)s现在是“%(old)s”，不能转为“%(new)s”。")
            % {"org": organisation.name, "old": OS(old).label, "new": OS(to_status).label}
        )
    organisation.status = to_status
    organisation.save(update_fields=["status"])
    return old


def organisation_register(
    *, name: str, kind: str, communities, actor, credit_code: str | None = None, admins=(),
) -> Organisation:
    """Community staff register an organisation serving ``communities``; it starts INCUBATING.

    ``admins`` (users) become its admins. A registered social organisation needs a
    valid unified social credit code (GB 32100-2015 check character).
    """
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写组织名称。"))
    if len(name) > 80:
        raise DomainError(_("组织名称不能超过 80 个字。"))
    if kind not in OrganisationKind.values:
        raise DomainError(_("请选择组织类别。"))
    communities = list(communities or [])
    if not communities or not all(isinstance(c, Community) for c in communities):
        raise DomainError(_("请至少选择一个服务社区。"))
    for community in communities:
        if not policies.is_community_staff(actor, community):
            raise PermissionDenied(
                _("只有%(community)s的工作人员可以登记在本社区服务的组织。") % {"community": community.name}
            )
    code = normalise_credit_code(credit_code or "")
    if kind == OrganisationKind.SOCIAL_ORGANISATION and not code:
        raise DomainError(_("登记注册的社会组织必须填写 18 位统一社会信用代码（见登记证书）。"))
    if kind == OrganisationKind.ENTERPRISE and not code:
        raise DomainError(_("企业必须填写 18 位统一社会信用代码（见营业执照）。"))
    if code:
        try:
            validate_credit_code(code)
        except ValidationError as exc:
            raise DomainError(exc.messages[0], code="credit_code") from exc
    with transaction.atomic():
        if Organisation.objects.filter(name=name).exists():
            raise DomainError(_("已有名为“%(name)s”的组织，请换一个名称或找到原来的组织。") % {"name": name})
        if code and Organisation.objects.filter(credit_code=code).exists():
            raise DomainError(_("统一社会信用代码 %(code)s 已经登记过。") % {"code": code})
        try:
            with transaction.atomic():
                organisation = Organisation.objects.create(
                    name=name, kind=kind, credit_code=code, registered_by=actor, status=OS.INCUBATING
                )
        except IntegrityError as exc:
            raise DomainError(_("这个组织刚刚已被登记。")) from exc
        organisation.communities.set(communities)
        for user in dict.fromkeys(admins):
            OrganisationMember.objects.create(organisation=organisation, user=user, role=MemberRole.ADMIN)
        event_write(
            organisation=organisation, kind=OrganisationEventKind.REGISTERED, actor=actor, to_status=OS.INCUBATING,
            data={"communities": [c.pk for c in communities], "admins": [u.pk for u in admins]},
        )
        return organisation


def organisation_activate(*, organisation: Organisation, actor) -> Organisation:
    """INCUBATING or SUSPENDED -> ACTIVE; activating an active organisation changes nothing."""
    _require_staff_of_any(actor, organisation, _("确认组织正常运行"))
    with transaction.atomic():
        lock_organisation(organisation)
        if organisation.status == OS.ACTIVE:
            return organisation
        old = _transition(organisation, OS.ACTIVE)
        event_write(organisation=organisation, kind=OrganisationEventKind.ACTIVATED, actor=actor,
                    from_status=old, to_status=OS.ACTIVE)
        return organisation


def organisation_member_add(*, organisation: Organisation, user, actor, role: str = MemberRole.MEMBER):
    """Community staff or an admin of the organisation add a member (an admin, member or social worker)."""
    if role not in MemberRole.values:
        raise DomainError(_("未知的角色。"))
    is_admin = OrganisationMember.objects.filter(organisation=organisation, user=actor, role=MemberRole.ADMIN)
    if not (staff_of_any(actor, organisation) or is_admin.exists()):
        raise PermissionDenied(_("只有组织负责人或社区工作人员可以添加成员。"))
    with transaction.atomic():
        lock_organisation(organisation)
        if OrganisationMember.objects.filter(organisation=organisation, user=user).exists():
            raise DomainError(_("%(name)s已经是%(org)s的成员。") % {"name": user.display_name, "org": organisation.name})
        member = OrganisationMember.objects.create(organisation=organisation, user=user, role=role)
        event_write(organisation=organisation, kind=OrganisationEventKind.MEMBER_ADDED, actor=actor,
                    data={"user": user.pk, "role": role})
        return member


def incubation_start(*, organisation: Organisation, mentor: Organisation, actor) -> Incubation:
    """Community staff record that ``mentor`` (an ACTIVE organisation) incubates ``organisation``."""
    _require_staff_of_any(actor, organisation, _("登记孵化"))
    if mentor.pk == organisation.pk:
        raise DomainError(_("组织不能孵化自己，请选择另一个孵化机构。"))
    with transaction.atomic():
        lock_organisation(organisation)
        if organisation.status != OS.INCUBATING:
            raise InvalidTransition(
                _("%(org)s现在是“%(status)s”，只有孵化中的组织可以登记孵化。")
                % {"org": organisation.name, "status": organisation.get_status_display()}
            )
        mentor.refresh_from_db()
        if mentor.status != OS.ACTIVE:
            raise DomainError(_("孵化机构%(mentor)s必须正常运行。") % {"mentor": mentor.name})
        if Incubation.objects.filter(organisation=organisation, graduated_at__isnull=True).exists():
            raise DomainError(_("%(org)s已在孵化中，请先确认出壳。") % {"org": organisation.name})
        incubation = Incubation.objects.create(organisation=organisation, mentor=mentor, started_by=actor)
        event_write(organisation=organisation, kind=OrganisationEventKind.INCUBATION_STARTED, actor=actor,
                    data={"mentor": mentor.pk, "incubation": incubation.pk})
        return incubation


def incubation_graduate(*, incubation: Incubation, actor) -> Incubation:
    """The incubated organisation graduates (出壳) and becomes ACTIVE."""
    organisation = incubation.organisation
    _require_staff_of_any(actor, organisation, _("确认出壳"))
    with transaction.atomic():
        lock_organisation(organisation)
        incubation.refresh_from_db(from_queryset=Incubation.objects.select_for_update())
        if incubation.graduated_at is not None:
            raise InvalidTransition(_("%(org)s已经出壳。") % {"org": organisation.name})
        incubation.graduated_at = timezone.now()
        incubation.graduated_by = actor
        incubation.save(update_fields=["graduated_at", "graduated_by"])
        old = organisation.status
        if old != OS.ACTIVE:
            _transition(organisation, OS.ACTIVE)
        event_write(organisation=organisation, kind=OrganisationEventKind.INCUBATION_GRADUATED, actor=actor,
                    from_status=old, to_status=OS.ACTIVE, data={"incubation": incubation.pk})
        return incubation
