"""R18: organisations — credit-code check character, status, incubation."""

import pytest
from django.core.exceptions import ValidationError

from organisations import services as os_
from organisations.enums import OrganisationStatus
from organisations.models import Incubation, Organisation, OrganisationEvent
from organisations.validators import credit_code_check_char, validate_credit_code
from tests.factories import UserFactory, build_world
from tests.sanshe_support import VALID_CODES, organisation
from yishi.errors import DomainError, PermissionDenied


@pytest.mark.parametrize("code", VALID_CODES)
def test_r18_credit_code_check_character_accepts_real_codes(code):
    validate_credit_code(code)
    validate_credit_code(code.lower())  # typed in lower case


@pytest.mark.parametrize("code", VALID_CODES)
def test_r18_credit_code_one_changed_character_is_caught(code):
    for position in range(18):
        for replacement in "0A":
            if code[position] == replacement:
                continue
            wrong = code[:position] + replacement + code[position + 1:]
            with pytest.raises(ValidationError):
                validate_credit_code(wrong)


def test_r18_credit_code_check_character_is_computed():
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert credit_code_check_char("91110000600037341") == "L"


@pytest.mark.parametrize(
    ("code", "words"),
    [("9135010", "18 位"), ("91350100M000100Y4O", "不能有"), ("91350100M000100Y44", "校验码")],
)
def test_r18_credit_code_messages_say_what_is_wrong(code, words):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert words in exc.value.messages[0]


@pytest.mark.django_db
def test_r18_register_with_a_bad_code_is_refused_and_nothing_is_created():
    world = build_world(community_seats=3)
    with pytest.raises(DomainError) as exc:
        os_.organisation_register(name="玉东助残俱乐部", kind="social_organisation", communities=[world.community],
                                  actor=world.staff, credit_code="91350100M000100Y44")
    assert "校验码" in str(exc.value)
    with pytest.raises(DomainError) as exc:
        os_.organisation_register(name="玉东助残俱乐部", kind="social_organisation", communities=[world.community],
                                  actor=world.staff)
    assert "18 位" in str(exc.value)
    assert not Organisation.objects.exists() and not OrganisationEvent.objects.exists()


@pytest.mark.django_db
def test_r18_new_organisation_starts_incubating_and_activates_once():
    world = build_world(community_seats=3)
    admin = UserFactory()
    org = os_.organisation_register(name="玉东妇女之家", kind="social_organisation", communities=[world.community],
                                    actor=world.staff, credit_code=VALID_CODES[0].lower(), admins=[admin])
    assert org.status == OrganisationStatus.INCUBATING and org.credit_code == VALID_CODES[0]
    assert org.members.get().user == admin
    os_.organisation_activate(organisation=org, actor=world.staff)
    os_.organisation_activate(organisation=org, actor=world.staff)  # no-op
    org.refresh_from_db()
    assert org.status == OrganisationStatus.ACTIVE
    assert list(org.events.values_list("kind", flat=True)) == ["registered", "activated"]


@pytest.mark.django_db
def test_r18_only_staff_of_the_community_register_and_activate():
    world = build_world(community_seats=3)
    other = build_world(community_seats=3, prefix="外")
    with pytest.raises(PermissionDenied):
        os_.organisation_register(name="x", kind="local_unit", communities=[world.community], actor=other.staff)
    org = organisation(world, active=False)
    with pytest.raises(PermissionDenied):
        os_.organisation_activate(organisation=org, actor=other.staff)
    org.refresh_from_db()
    assert org.status == OrganisationStatus.INCUBATING


@pytest.mark.django_db
def test_r18_incubation_start_and_graduate():
    world = build_world(community_seats=3)
    mentor = organisation(world, "睦林长者互助社")
    young = organisation(world, "玉东手工坊", active=False)
    incubation = os_.incubation_start(organisation=young, mentor=mentor, actor=world.staff)
    with pytest.raises(DomainError):
        os_.incubation_start(organisation=young, mentor=mentor, actor=world.staff)
    assert Incubation.objects.count() == 1
    os_.incubation_graduate(incubation=incubation, actor=world.staff)
    young.refresh_from_db()
    incubation.refresh_from_db()
    assert young.status == OrganisationStatus.ACTIVE and incubation.graduated_at is not None
    with pytest.raises(DomainError):
        os_.incubation_graduate(incubation=incubation, actor=world.staff)


@pytest.mark.django_db
def test_r18_mentor_must_be_active_and_not_itself():
    world = build_world(community_seats=3)
    young = organisation(world, "玉东手工坊", active=False)
    other_young = organisation(world, "新芽读书会", active=False)
    with pytest.raises(DomainError):
        os_.incubation_start(organisation=young, mentor=young, actor=world.staff)
    with pytest.raises(DomainError) as exc:
        os_.incubation_start(organisation=young, mentor=other_young, actor=world.staff)
    assert "正常运行" in str(exc.value)
    assert not Incubation.objects.exists()
