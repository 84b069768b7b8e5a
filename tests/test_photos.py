"""Photos on proposals, roadshows, needs and candidates: who may add, see and remove them, what the
pages show, that removal is recorded, and that the upload form has a flood limit."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from councils.services import meeting_record
from elections.models import ElectionEvent
from needs.models import Need, NeedsEvent
from photos import services
from photos.models import Photo
from proposals import services as ps
from proposals.history import verify_proposal_chains
from proposals.models import ProposalEvent
from tests.election_support import open_election
from tests.factories import build_world, make_proposal, to_notice, to_submitted
from tests.photo_support import gps_jpeg, has_gps, image_bytes, upload
from yishi import images
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world(group_seats=3, community_seats=5, residents=3)


@pytest.fixture
def outsider():
    """A resident of another community: a draft there is none of their business."""
    return build_world(group_seats=1, community_seats=3, residents=1, prefix="外").residents[0]


def manage_url(kind, obj):
    return reverse("photos:manage", args=[kind, obj.pk])


def image_url(photo, size="t"):
    return reverse("photos:image", args=[photo.pk, size])


def post_photo(client, user, kind, obj, data=None, caption="3栋楼道扶手松动"):
    client.force_login(user)
    return client.post(manage_url(kind, obj), {"photo": upload(data or gps_jpeg()), "caption": caption})


def add(target, actor, data=None, caption=""):
    return services.photo_add(target=target, actor=actor, image=images.process(data or gps_jpeg()), caption=caption)


# --------------------------------------------------------------------------- proposals


def test_author_adds_site_photo_to_draft_through_the_page(client, world):
    draft = make_proposal(world)
    response = post_photo(client, world.author, "proposal", draft)
    assert response.status_code == 302 and response["Location"].endswith("#photos")
    photo = Photo.objects.get(proposal=draft)
    assert photo.caption == "3栋楼道扶手松动" and photo.uploaded_by == world.author
    assert (photo.width, photo.height, photo.thumb_width, photo.thumb_height) == (1200, 900, 400, 300)
    event = ProposalEvent.objects.filter(proposal=draft).order_by("-seq").first()
    assert event.kind == "photo_added" and event.data["photo"] == photo.pk
    assert all(bad is None for _p, _n, bad, _why in verify_proposal_chains([draft]))


def test_served_photo_carries_no_gps(client, world):
    draft = make_proposal(world)
    post_photo(client, world.author, "proposal", draft, data=gps_jpeg((2400, 1800)))
    photo = Photo.objects.get(proposal=draft)
    for size in ("d", "t"):
        response = client.get(image_url(photo, size))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        data = b"".join(response.streaming_content)
        assert not has_gps(data) and b"Exif" not in data
    with default_storage.open(photo.image) as stored:
        assert not has_gps(stored.read())


def test_draft_photo_is_404_to_another_resident_and_anonymous(client, world, outsider):
    photo = add(make_proposal(world), world.author)
    client.force_login(outsider)
    assert client.get(image_url(photo)).status_code == 404
    assert client.get(image_url(photo, "d")).status_code == 404
    assert client.get(manage_url("proposal", photo.proposal)).status_code == 404
    client.logout()
    assert client.get(image_url(photo)).status_code == 404


def test_draft_photo_is_private_to_the_group_not_cached_by_proxies(client, world):
    photo = add(make_proposal(world), world.author)
    client.force_login(world.group_members[0])
    response = client.get(image_url(photo))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private") and "Cookie" in response["Vary"]


def test_public_proposal_photo_is_public(client, world):
    proposal, _notice = to_notice(world)
    photo = add(proposal, world.group_members[0])
    response = client.get(image_url(photo))
    assert response.status_code == 200 and response["Cache-Control"].startswith("public")
    again = client.get(image_url(photo), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_proposal_page_and_cards_show_photos(client, world):
    proposal, _notice = to_notice(world)
    photo = add(proposal, world.group_members[0], caption="破损的扶手")
    page = client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
    assert f'src="{image_url(photo)}"' in page
    assert 'width="400" height="300"' in page and 'loading="lazy"' in page and 'alt="破损的扶手"' in page
    cards = client.get(reverse("proposals:public_list")).content.decode()
    assert f'src="{image_url(photo)}"' in cards and 'width="96" height="72"' in cards


def test_default_alt_text_names_the_proposal(client, world):
    proposal, _notice = to_notice(world, title="北苑后门维修")
    add(proposal, world.group_members[0])
    page = client.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
    assert 'alt="北苑后门维修的照片（1）"' in page


def test_resident_who_is_not_the_author_may_not_add(client, world):
    proposal, _notice = to_notice(world)
    response = post_photo(client, world.residents[1], "proposal", proposal)
    assert response.status_code == 403
    assert "只有提议人、小组议事会成员和社区工作人员" in response.content.decode()
    assert not Photo.objects.exists()


def test_bad_file_gets_the_sentence_on_the_page_and_changes_nothing(client, world):
    draft = make_proposal(world)
    events = ProposalEvent.objects.count()
    response = post_photo(client, world.author, "proposal", draft, data=b"not a photo at all")
    assert response.status_code == 400
    assert "这个文件不是照片" in response.content.decode()
    assert not Photo.objects.exists() and ProposalEvent.objects.count() == events


def test_caption_with_hidden_characters_is_refused(client, world):
    draft = make_proposal(world)
    response = post_photo(client, world.author, "proposal", draft, caption="扶手\u202e松动")
    assert response.status_code == 400 and "请删除后重新输入" in response.content.decode()
    assert not Photo.objects.exists()


def test_at_most_six_site_photos(world):
    draft = make_proposal(world)
    for n in range(services.MAX_PHOTOS["proposal"]):
        add(draft, world.author, data=image_bytes(color=(n, 0, 0)))
    with pytest.raises(DomainError, match="最多只能添加 6 张"):
        add(draft, world.author, data=image_bytes(color=(99, 0, 0)))
    assert Photo.objects.filter(proposal=draft).count() == 6


def test_photos_cannot_be_added_to_a_withdrawn_proposal(world):
    draft = make_proposal(world)
    ps.proposal_withdraw(proposal=draft, actor=world.author, reason="不做了")
    draft.refresh_from_db()
    with pytest.raises(PermissionDenied, match="已经结束"):
        add(draft, world.author)


def test_removal_is_recorded_and_the_files_go(client, world, django_capture_on_commit_callbacks):
    draft = make_proposal(world)
    photo = add(draft, world.author)
    client.force_login(world.group_members[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("photos:remove", args=[photo.pk]))
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.removed_at is not None and photo.removed_by == world.group_members[0]
    assert ProposalEvent.objects.filter(proposal=draft, kind="photo_removed", data__photo=photo.pk).exists()
    assert not default_storage.exists(photo.image) and not default_storage.exists(photo.thumb)
    assert client.get(image_url(photo)).status_code == 404
    assert all(bad is None for _p, _n, bad, _why in verify_proposal_chains([draft]))


def test_removal_keeps_files_another_photo_still_shows(world, django_capture_on_commit_callbacks):
    first, second = make_proposal(world, title="甲"), make_proposal(world, title="乙")
    data = gps_jpeg()
    a, b = add(first, world.author, data=data), add(second, world.author, data=data)
    assert a.image == b.image
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_remove(photo=a, actor=world.author)
    assert default_storage.exists(b.image)


def test_resident_may_not_remove_someone_elses_photo(client, world):
    proposal, _notice = to_notice(world)
    photo = add(proposal, world.group_members[0])
    client.force_login(world.residents[1])
    response = client.post(reverse("photos:remove", args=[photo.pk]))
    assert response.status_code == 403
    photo.refresh_from_db()
    assert photo.removed_at is None


# --------------------------------------------------------------------------- roadshow


def test_roadshow_photo_added_by_staff_and_shown_on_the_ballot_page(client, world):
    proposal = to_submitted(world)
    meeting = meeting_record(council=world.community_council, held_at=proposal.updated_at, minutes="路演",
                             attendees=world.community_members, actor=world.staff)
    item = ps.agenda_add(meeting=meeting, proposal=proposal, actor=world.staff)
    ps.roadshow_record(item=item, actor=world.staff, presenter=world.group_members[0],
                       presentation="后门维修", self_raised_source="每户 100 元")
    response = post_photo(client, world.staff, "agenda_item", item, caption="小组展示的现场照片")
    assert response.status_code == 302
    photo = Photo.objects.get(agenda_item=item)
    assert ProposalEvent.objects.filter(proposal=proposal, kind="photo_added", data__agenda_item=item.pk).exists()
    ballot = ps.community_ballot_open(proposal=proposal, actor=world.staff,
                                      closes_at=proposal.updated_at + timedelta(days=7))
    client.force_login(world.community_members[0])
    page = client.get(reverse("proposals:ballot", args=[ballot.pk])).content.decode()
    assert f'src="{image_url(photo)}"' in page and 'alt="小组展示的现场照片"' in page
    meeting_page = client.get(reverse("proposals:meeting_detail", args=[meeting.pk])).content.decode()
    assert f'src="{image_url(photo)}"' in meeting_page


def test_resident_may_not_add_roadshow_photos(client, world):
    proposal = to_submitted(world)
    meeting = meeting_record(council=world.community_council, held_at=proposal.updated_at, minutes="路演",
                             attendees=world.community_members, actor=world.staff)
    item = ps.agenda_add(meeting=meeting, proposal=proposal, actor=world.staff)
    assert post_photo(client, world.residents[0], "agenda_item", item).status_code == 403


# --------------------------------------------------------------------------- needs


def test_resident_raises_a_need_with_a_photo(client, world):
    client.force_login(world.residents[0])
    response = client.post(reverse("needs:raise"), {"category": "elderly", "text": "楼道扶手松动，老人上下楼不安全",
                                                    "photo": upload(gps_jpeg())})
    assert response.status_code == 302
    need = Need.objects.get()
    photo = Photo.objects.get(need=need)
    assert NeedsEvent.objects.filter(need=need, kind="photo_added").exists()
    ledger = client.get(reverse("needs:ledger") + f"?community={world.community.slug}").content.decode()
    assert f'src="{image_url(photo)}"' in ledger
    assert world.residents[0].display_name not in ledger  # the ledger still never says who raised it
    mine = client.get(reverse("needs:mine")).content.decode()
    assert f'src="{image_url(photo)}"' in mine


def test_need_with_a_bad_photo_is_not_raised(client, world):
    client.force_login(world.residents[0])
    response = client.post(reverse("needs:raise"), {"category": "elderly", "text": "楼道扶手松动",
                                                    "photo": upload(image_bytes(fmt="GIF"), "a.gif")})
    assert response.status_code == 200
    assert "GIF" in response.content.decode()
    assert not Need.objects.exists() and not Photo.objects.exists()


def test_staff_record_a_need_with_a_photo(client, world):
    client.force_login(world.staff)
    response = client.post(reverse("needs:staff_record"), {
        "community": world.community.slug, "category": "elderly", "text": "走访时看到的破损扶手",
        "channel": "door_to_door", "resident": "", "photo": upload(gps_jpeg()),
    })
    assert response.status_code == 302
    assert Photo.objects.get(need=Need.objects.get()).uploaded_by == world.staff


# --------------------------------------------------------------------------- candidates


def test_candidate_photo_private_until_nominations_close_then_public(client, world):
    election, people = open_election(world, seats=3, candidates=4)
    candidate = election.candidates.get(user=people[0])
    response = post_photo(client, people[0], "candidate", candidate, caption="")
    assert response.status_code == 302
    photo = Photo.objects.get(candidate=candidate)
    assert ElectionEvent.objects.filter(election=election, kind="photo_added", data__candidate=candidate.pk).exists()
    page = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    assert f'src="{image_url(photo)}"' in page  # the candidate sees their own face
    client.logout()
    assert client.get(image_url(photo)).status_code == 404
    assert f'src="{image_url(photo)}"' not in client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    with time_machine.travel(election.nominations_close + timedelta(minutes=1), tick=False):
        assert client.get(image_url(photo)).status_code == 200
        page = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
        assert f'src="{image_url(photo)}"' in page
        assert f'alt="候选人{people[0].display_name}的照片"' in page


def test_new_candidate_photo_replaces_the_old_one_on_record(world):
    election, people = open_election(world, seats=3, candidates=4)
    candidate = election.candidates.get(user=people[1])
    old = add(candidate, people[1], data=image_bytes(color=(5, 5, 5)))
    new = add(candidate, world.staff, data=image_bytes(color=(6, 6, 6)))
    old.refresh_from_db()
    assert old.removed_at is not None and new.removed_at is None
    assert list(Photo.objects.shown().filter(candidate=candidate)) == [new]
    assert ElectionEvent.objects.filter(election=election, kind="photo_removed", data__photo=old.pk).exists()


def test_another_resident_may_not_upload_a_candidates_photo(world):
    election, people = open_election(world, seats=3, candidates=4)
    candidate = election.candidates.get(user=people[0])
    with pytest.raises(PermissionDenied):
        add(candidate, people[1])


def test_no_new_face_once_voting_opens(world):
    election, people = open_election(world, seats=3, candidates=4)
    candidate = election.candidates.get(user=people[0])
    with time_machine.travel(election.opens_at + timedelta(minutes=1), tick=False):
        with pytest.raises(PermissionDenied, match="投票开始后"):
            add(candidate, people[0])


# --------------------------------------------------------------------------- the flood guard, the form page


def test_upload_posts_are_rate_limited(client, world, monkeypatch):
    from portal import ratelimit

    assert "photos:manage" in ratelimit.LIMITS
    monkeypatch.setitem(ratelimit.LIMITS, "photos:manage", (2, 3600))
    draft = make_proposal(world)
    for n in range(2):
        assert post_photo(client, world.author, "proposal", draft, data=image_bytes(color=(n, 1, 1))).status_code == 302
    response = post_photo(client, world.author, "proposal", draft, data=image_bytes(color=(9, 1, 1)))
    assert response.status_code == 429
    assert Photo.objects.filter(proposal=draft).count() == 2


def test_photo_page_form_renders_for_the_author(client, world):
    draft = make_proposal(world)
    client.force_login(world.author)
    page = client.get(manage_url("proposal", draft)).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'accept="image/jpeg,image/png,image/webp' in page


@pytest.mark.parametrize("kind", ["nothing", "proposals"])
def test_unknown_kind_or_object_is_404(client, world, kind):
    client.force_login(world.author)
    assert client.get(reverse("photos:manage", args=[kind, 1])).status_code == 404
    assert client.get(reverse("photos:manage", args=["proposal", 999999])).status_code == 404
    assert client.get(reverse("photos:image", args=[999999, "t"])).status_code == 404
    assert client.get(reverse("photos:image", args=[1, "x"])).status_code == 404


def test_image_is_served_as_a_real_jpeg(client, world):
    proposal, _notice = to_notice(world)
    photo = add(proposal, world.group_members[0], data=image_bytes((3000, 2000)))
    data = b"".join(client.get(image_url(photo, "d")).streaming_content)
    assert Image.open(io.BytesIO(data)).size == (1600, 1067)


def test_poster_prints_the_first_two_site_photos_eagerly(client, world):
    proposal, _notice = to_notice(world)
    photos = [add(proposal, world.group_members[0], data=image_bytes(color=(n, 2, 2))) for n in range(3)]
    poster = client.get(reverse("proposals:poster", args=[proposal.pk])).content.decode()
    assert f'src="{image_url(photos[0])}"' in poster and f'src="{image_url(photos[1])}"' in poster
    assert f'src="{image_url(photos[2])}"' not in poster
    assert 'loading="lazy"' not in poster
