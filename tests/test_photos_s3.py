"""Photos in an S3-compatible bucket (the Kubernetes setting, YISHI_MEDIA_STORAGE=s3): the same
pipeline and view through django-storages, against moto's in-process S3 (no network)."""

import boto3
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from moto import mock_aws

from photos.models import Photo
from tests.factories import build_world, to_notice
from tests.photo_support import gps_jpeg, has_gps, upload

pytestmark = pytest.mark.django_db

BUCKET = "yishi-photos"


@pytest.fixture
def bucket(settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {**settings.STORAGES, "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": BUCKET, "region_name": "us-east-1", "default_acl": "private",
                        "querystring_auth": True, "file_overwrite": False},
        }}
        yield s3


def test_photo_is_stored_in_the_private_bucket_and_served_through_the_view(client, bucket):
    world = build_world(group_seats=3, community_seats=3, residents=2)
    proposal, _notice = to_notice(world)
    client.force_login(world.group_members[0])
    response = client.post(reverse("photos:manage", args=["proposal", proposal.pk]),
                           {"photo": upload(gps_jpeg()), "caption": "南苑门禁"})
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert default_storage.__class__.__name__ == "S3Storage"
    keys = {o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {photo.image, photo.thumb}
    stored = bucket.get_object(Bucket=BUCKET, Key=photo.image)["Body"].read()
    assert not has_gps(stored)
    client.logout()
    served = client.get(reverse("photos:image", args=[photo.pk, "d"]))
    assert served.status_code == 200 and b"".join(served.streaming_content) == stored
