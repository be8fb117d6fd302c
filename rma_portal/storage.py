"""Where uploaded and rendered files live: the ``default`` entry of ``STORAGES``.

Local files under ``MEDIA_ROOT`` unless object storage is configured, in either of two ways:

- ``STORAGE_URL=s3://BUCKET/PREFIX?endpoint_url=https://…&region_name=…`` (prefix optional), or
- django-storages' own names: ``AWS_STORAGE_BUCKET_NAME``, ``AWS_S3_ENDPOINT_URL``,
  ``AWS_S3_REGION_NAME``, ``AWS_LOCATION``.

Credentials come from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (or anything else boto3
reads: an instance role, ``AWS_PROFILE``). The bucket stays private: files are read through the
storage API and streamed by the permission-checked views, never linked.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

FILESYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
S3 = "storages.backends.s3.S3Storage"


def object_storage(url: str, env: Mapping[str, str]) -> dict:
    """The ``STORAGES["default"]`` entry for ``STORAGE_URL`` and the ``AWS_*`` variables."""
    options: dict[str, object] = {}
    if url:
        parts = urlsplit(url)
        if parts.scheme in ("file", ""):
            return dict(FILESYSTEM)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"STORAGE_URL must be s3://BUCKET[/PREFIX][?…], not {url!r}")
        options["bucket_name"] = parts.netloc
        if parts.path.strip("/"):
            options["location"] = parts.path.strip("/")
        for key, value in parse_qsl(parts.query):
            if key not in {"endpoint_url", "region_name", "addressing_style"}:
                raise ValueError(f"STORAGE_URL: unknown option {key!r}")
            options[key] = value
    elif env.get("AWS_STORAGE_BUCKET_NAME"):
        options["bucket_name"] = env["AWS_STORAGE_BUCKET_NAME"]
    else:
        return dict(FILESYSTEM)
    for option, variable in (
        ("endpoint_url", "AWS_S3_ENDPOINT_URL"),
        ("region_name", "AWS_S3_REGION_NAME"),
        ("location", "AWS_LOCATION"),
        ("access_key", "AWS_ACCESS_KEY_ID"),
        ("secret_key", "AWS_SECRET_ACCESS_KEY"),
    ):
        if env.get(variable) and option not in options:
            options[option] = env[variable]
    # Private objects, never overwritten in place (a second upload gets a new name), and no
    # public URLs handed out: the app streams every download after its permission check.
    options.update(default_acl=None, file_overwrite=False, querystring_auth=True)
    if options.get("endpoint_url") and "addressing_style" not in options:
        # MinIO, Ceph, moto and most S3-compatible servers want path-style addressing.
        options["addressing_style"] = "path"
    return {"BACKEND": S3, "OPTIONS": options}
