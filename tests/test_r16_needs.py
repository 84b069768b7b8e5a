"""R16: the needs ledger — raising, supporting once, answering, the overdue instant."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from needs import selectors as sel
from needs import services as ns
from needs.enums import NeedStatus
from needs.models import Need, NeedsEvent, NeedSupport, ResponseTime
from tests.factories import UserFactory, build_world, make_resident
from tests.sanshe_support import need, project
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def test_r16_need_is_overdue_at_exactly_fourteen_days():
    world = build_world(community_seats=3)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        n = need(world)
    assert n.due_at == start + timedelta(days=14)
    just_before = n.due_at - timedelta(microseconds=1)
    assert not n.is_overdue(just_before)
    assert list(sel.overdue_needs([world.community], now=just_before)) == []
    assert n.is_overdue(n.due_at)
    assert list(sel.overdue_needs([world.community], now=n.due_at)) == [n]


def test_r16_community_sets_its_own_response_time():
    world = build_world(community_seats=3)
    ResponseTime.objects.create(community=world.community, days=7)
    n = need(world)
    assert n.due_at - n.raised_at == timedelta(days=7)


def test_r16_answered_need_is_never_overdue():
    world = build_world(community_seats=3)
    n = need(world)
    ns.need_answer(need=n, actor=world.staff, decision="decline", reason="属于物业职责，已转物业")
    assert list(sel.overdue_needs([world.community], now=n.due_at + timedelta(days=30))) == []


def test_r16_resident_supports_once():
    world = build_world(community_seats=3)
    n = need(world)
    ns.need_support(need=n, resident=world.residents[1])
    with pytest.raises(DomainError) as exc:
        ns.need_support(need=n, resident=world.residents[1])
    assert "已经点过" in str(exc.value)
    assert NeedSupport.objects.filter(need=n).count() == 1


def test_r16_support_constraint_holds_without_the_service(db):
    from django.db import IntegrityError, transaction

    world = build_world(community_seats=3)
    n = need(world)
    NeedSupport.objects.create(need=n, resident=world.residents[1])
    with pytest.raises(IntegrityError), transaction.atomic():
        NeedSupport.objects.create(need=n, resident=world.residents[1])


def test_r16_raiser_cannot_support_own_need():
    world = build_world(community_seats=3)
    n = need(world, resident=world.residents[0])
    with pytest.raises(DomainError) as exc:
        ns.need_support(need=n, resident=world.residents[0])
    assert exc.value.code == "own_need" and "自己提出" in str(exc.value)
    assert not NeedSupport.objects.exists()


def test_r16_only_verified_residents_of_the_community_raise_and_support():
    world = build_world(community_seats=3)
    other = build_world(community_seats=3, prefix="外")
    with pytest.raises(PermissionDenied):
        ns.need_raise(community=world.community, text="想要", category="other", actor=other.residents[0])
    n = need(world)
    with pytest.raises(PermissionDenied):
        ns.need_support(need=n, resident=other.residents[0])
    with pytest.raises(PermissionDenied):
        ns.need_support(need=n, resident=UserFactory())
    assert Need.objects.count() == 1 and not NeedSupport.objects.exists()


def test_r16_staff_record_on_behalf_and_anonymously():
    world = build_world(community_seats=3)
    elder = world.residents[2]
    on_behalf = ns.need_raise(community=world.community, text="家里水管漏水", category="home_repair",
                              actor=world.staff, resident=elder, channel="home_visit")
    assert on_behalf.resident == elder and on_behalf.recorded_by == world.staff and on_behalf.on_behalf
    event = NeedsEvent.objects.get(need=on_behalf)
    assert event.actor == world.staff and event.on_behalf_of == elder
    anonymous = ns.need_raise(community=world.community, text="夜里路灯不亮", category="courtyard",
                              actor=world.staff, channel="evening_talk")
    assert anonymous.anonymous and anonymous.channel == "evening_talk"
    # A resident cannot record for someone else.
    with pytest.raises(PermissionDenied):
        ns.need_raise(community=world.community, text="x", category="other", actor=world.residents[0],
                      resident=elder)


def test_r16_staff_cannot_name_a_resident_of_another_community():
    world = build_world(community_seats=3)
    other = build_world(community_seats=3, prefix="外")
    with pytest.raises(DomainError) as exc:
        ns.need_raise(community=world.community, text="x", category="other", actor=world.staff,
                      resident=other.residents[0])
    assert "匿名" in str(exc.value)
    assert not Need.objects.exists()


def test_r16_decline_needs_a_reason_and_answers_once():
    world = build_world(community_seats=3)
    n = need(world)
    with pytest.raises(DomainError) as exc:
        ns.need_answer(need=n, actor=world.staff, decision="decline")
    assert "理由" in str(exc.value)
    n.refresh_from_db()
    assert n.status == NeedStatus.OPEN
    ns.need_answer(need=n, actor=world.staff, decision="decline", reason="属于物业职责")
    with pytest.raises(DomainError):
        ns.need_answer(need=n, actor=world.staff, decision="decline", reason="再次")
    n.refresh_from_db()
    assert n.status == NeedStatus.DECLINED and n.answer_reason == "属于物业职责"


def test_r16_merge_and_list_into_existing_project():
    world = build_world(community_seats=3)
    first = need(world, text="老人午饭")
    second = need(world, text="老人吃饭难", resident=world.residents[1])
    ns.need_answer(need=second, actor=world.staff, decision="merge", merge_into=first)
    second.refresh_from_db()
    assert second.status == NeedStatus.MERGED and second.merged_into == first
    p = project(world, needs=[first])
    third = need(world, text="也想有午饭", resident=world.residents[2])
    ns.need_answer(need=third, actor=world.staff, decision="list", project=p)
    third.refresh_from_db()
    assert third.status == NeedStatus.LISTED and third.project == p


def test_r16_only_community_staff_answer():
    world = build_world(community_seats=3)
    n = need(world)
    with pytest.raises(PermissionDenied):
        ns.need_answer(need=n, actor=world.residents[1], decision="decline", reason="x")
    with pytest.raises(PermissionDenied):
        ns.need_answer(need=n, actor=world.supervisor, decision="decline", reason="x")
    n.refresh_from_db()
    assert n.status == NeedStatus.OPEN


def test_r16_supporting_a_closed_need_is_refused():
    world = build_world(community_seats=3)
    n = need(world)
    ns.need_answer(need=n, actor=world.staff, decision="decline", reason="不属于社区服务")
    extra = make_resident(world.group)
    with pytest.raises(DomainError):
        ns.need_support(need=n, resident=extra)
    assert not NeedSupport.objects.exists()
