"""R1: a user is a resident of at most one group, verified by community staff; only verified residents act."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from councils import policies
from councils import services as cs
from councils.models import Residency
from proposals import services as ps
from proposals.models import Objection, Proposal, Rating
from tests.factories import (
    BACK_GATE_LINES,
    ResidentGroupFactory,
    UserFactory,
    make_proposal,
    to_notice,
)
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def test_r1_staff_verify_a_request(world):
    newcomer = UserFactory()
    request = cs.residency_request(user=newcomer, group=world.group, address="3栋2单元")
    assert not request.is_verified and not policies.is_resident_of(newcomer, world.group)
    verified = cs.residency_verify(resident=newcomer, group=world.group, actor=world.staff)
    assert verified.pk == request.pk and verified.verified_by == world.staff
    assert policies.is_resident_of(newcomer, world.group)
    assert policies.current_residency(newcomer).group == world.group


def test_r1_only_community_staff_verify(world):
    newcomer = UserFactory()
    cs.residency_request(user=newcomer, group=world.group)
    for actor in (world.group_members[0], world.supervisor, world.residents[0]):
        with pytest.raises(PermissionDenied):
            cs.residency_verify(resident=newcomer, group=world.group, actor=actor)
    assert not Residency.objects.filter(user=newcomer, verified_at__isnull=False).exists()


def test_r1_one_residency_verifying_a_second_group_refused(world):
    other_group = ResidentGroupFactory(community=world.community)
    resident = world.residents[0]
    before = list(Residency.objects.filter(user=resident).values_list("pk", "group", "ends_at"))
    with pytest.raises(DomainError) as refused:
        cs.residency_verify(resident=resident, group=other_group, actor=world.staff)
    assert "一个居民小组" in str(refused.value)
    assert list(Residency.objects.filter(user=resident).values_list("pk", "group", "ends_at")) == before


def test_r1_one_residency_request_elsewhere_refused_while_verified(world):
    other_group = ResidentGroupFactory(community=world.community)
    resident = world.residents[0]
    with pytest.raises(DomainError):
        cs.residency_request(user=resident, group=other_group)
    assert Residency.objects.filter(user=resident).count() == 1


def test_r1_one_open_residency_is_a_database_constraint(world):
    other_group = ResidentGroupFactory(community=world.community)
    with pytest.raises(IntegrityError), transaction.atomic():
        Residency.objects.create(user=world.residents[0], group=other_group)


def test_r1_moving_ends_the_old_residency_first(world):
    other_group = ResidentGroupFactory(community=world.community)
    resident = world.residents[0]
    cs.residency_end(residency=policies.current_residency(resident), actor=world.staff)
    assert not policies.is_resident_of(resident, world.group)
    cs.residency_verify(resident=resident, group=other_group, actor=world.staff)
    assert policies.is_resident_of(resident, other_group)
    assert Residency.objects.filter(user=resident, ends_at__isnull=True).count() == 1


def test_r1_pending_resident_cannot_draft(world):
    pending = UserFactory()
    cs.residency_request(user=pending, group=world.group)
    with pytest.raises(PermissionDenied) as refused:
        make_proposal(world, author=pending)
    assert "核实居民" in str(refused.value)
    assert not Proposal.objects.exists()


def test_r1_former_resident_cannot_draft(world):
    resident = world.residents[0]
    cs.residency_end(residency=policies.current_residency(resident), actor=world.staff)
    with pytest.raises(PermissionDenied):
        make_proposal(world, author=resident)
    assert not Proposal.objects.exists()


def test_r1_staff_entering_for_a_resident_still_needs_a_verified_author(world):
    with pytest.raises(PermissionDenied):
        make_proposal(world, author=UserFactory(), entered_by=world.staff)
    proposal = make_proposal(world, entered_by=world.staff)
    event = proposal.events.get()
    assert (event.actor, event.on_behalf_of) == (world.staff, world.author)


def test_r1_only_staff_enter_on_behalf(world):
    with pytest.raises(PermissionDenied):
        make_proposal(world, entered_by=world.residents[1])
    assert not Proposal.objects.exists()


def test_r1_pending_resident_cannot_object(world):
    proposal, notice = to_notice(world)
    pending = UserFactory()
    cs.residency_request(user=pending, group=world.group)
    events = proposal.events.count()
    with pytest.raises(PermissionDenied):
        ps.objection_file(notice=notice, resident=pending, text="我反对。")
    assert not Objection.objects.exists() and proposal.events.count() == events


def test_r1_verified_resident_objects(world):
    proposal, notice = to_notice(world)
    assert ps.objection_file(notice=notice, resident=world.residents[2], text="我反对。").pk


def test_r1_only_verified_residents_rate(world):
    proposal = make_proposal(world)
    events = proposal.events.count()
    with pytest.raises(PermissionDenied) as refused:
        ps.rating_record(proposal=proposal, resident=UserFactory(), stars=5)
    assert "核实居民" in str(refused.value)
    # A verified resident passes the residency check and meets the next rule (only after acceptance).
    with pytest.raises(DomainError) as later:
        ps.rating_record(proposal=proposal, resident=world.residents[1], stars=5)
    assert not isinstance(later.value, PermissionDenied)
    assert not Rating.objects.exists() and proposal.events.count() == events


def test_r1_residency_counts_from_verification(world):
    newcomer = UserFactory()
    request = cs.residency_request(user=newcomer, group=world.group)
    with time_machine.travel(request.requested_at + timedelta(days=2)):
        verified = cs.residency_verify(resident=newcomer, group=world.group, actor=world.staff)
        assert verified.starts_at == verified.verified_at
        assert not policies.is_resident_of(newcomer, world.group, at=request.requested_at + timedelta(days=1))


def test_r1_lines_fixture_is_the_back_gate_case():
    assert sum(q * p for _i, q, _u, p in BACK_GATE_LINES) == 36000
