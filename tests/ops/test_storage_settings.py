"""STORAGES["default"] from STORAGE_URL or the AWS_* variables; local files when neither."""

import pytest

from rma_portal.storage import object_storage


def test_local_files_by_default():
    assert object_storage("", {}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_storage_url_names_bucket_prefix_and_endpoint_credentials_from_aws_variables():
    entry = object_storage(
        "s3://rma-media/prod?endpoint_url=https://s3.example.net&region_name=eu-central-1",
        {"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"},
    )

    assert entry["BACKEND"] == "storages.backends.s3.S3Storage"
    assert entry["OPTIONS"] == {
        "bucket_name": "rma-media",
        "location": "prod",
        "endpoint_url": "https://s3.example.net",
        "region_name": "eu-central-1",
        "access_key": "AK",
        "secret_key": "SK",
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
        "addressing_style": "path",
    }


def test_django_storages_own_variables_work_without_storage_url():
    entry = object_storage("", {"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_REGION_NAME": "us-east-1"})

    assert entry["OPTIONS"]["bucket_name"] == "b"
    assert entry["OPTIONS"]["region_name"] == "us-east-1"
    assert "addressing_style" not in entry["OPTIONS"]  # AWS itself: virtual-hosted style


@pytest.mark.parametrize("url", ["gs://bucket", "s3://", "s3://b?acl=public-read"])
def test_a_storage_url_it_cannot_honour_is_refused(url):
    with pytest.raises(ValueError):
        object_storage(url, {})
