"""Where moto's S3 answers differently from S3, the embedded AWS answers as S3 does, on the
product's clock (chalicelib.clock), so that what a person sees on `make run` is what AWS would do:

- Object Lock retention is checked against the product's now, not the wall clock, so a retention
  period passes when the local clock is moved past it (POST /v1/local/clock);
- a presigned link is signed at the product's now and refused once it has expired on that clock
  (moto never expires one);
- a legal hold on a missing object is NoSuchKey (moto fails with an internal error)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import botocore.auth
from moto.core.responses import ActionResult
from moto.s3 import models as moto_s3_models
from moto.s3 import responses as moto_s3_responses
from moto.s3.exceptions import MissingKey, S3ClientError

from chalicelib import clock


def _object_lock_reads_the_product_clock() -> Callable[[], None]:
    original = moto_s3_models.utcnow
    moto_s3_models.utcnow = lambda: clock.now().replace(tzinfo=None)
    return lambda: setattr(moto_s3_models, "utcnow", original)


def _links_are_signed_and_expire_on_the_product_clock() -> Callable[[], None]:
    original_now, original_response = botocore.auth.get_current_datetime, moto_s3_responses.S3Response._key_response

    def signing_now(remove_tzinfo: bool = True) -> datetime:
        now = clock.now()
        return now.replace(tzinfo=None) if remove_tzinfo else now

    def key_response(self, request, full_url):  # noqa: ANN001
        query = parse_qs(urlparse(full_url).query)
        signed, lifetime = query.get("X-Amz-Date"), query.get("X-Amz-Expires")
        if signed and lifetime:
            issued = datetime.strptime(signed[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            if clock.now() > issued + timedelta(seconds=int(lifetime[0])):
                return self.serialized(ActionResult(S3ClientError("AccessDenied", "Request has expired")))
        return original_response(self, request, full_url)

    botocore.auth.get_current_datetime = signing_now
    moto_s3_responses.S3Response._key_response = key_response

    def restore() -> None:
        botocore.auth.get_current_datetime = original_now
        moto_s3_responses.S3Response._key_response = original_response
    return restore


def _legal_hold_on_a_missing_key_is_no_such_key() -> Callable[[], None]:
    original = moto_s3_models.S3Backend.put_object_legal_hold

    def put_object_legal_hold(self, bucket_name, key_name, version_id, legal_hold_status):  # noqa: ANN001
        if self.get_object(bucket_name, key_name, version_id=version_id) is None:
            raise MissingKey(key=key_name)
        return original(self, bucket_name, key_name, version_id, legal_hold_status)

    moto_s3_models.S3Backend.put_object_legal_hold = put_object_legal_hold
    return lambda: setattr(moto_s3_models.S3Backend, "put_object_legal_hold", original)


def install() -> Callable[[], None]:
    """Apply every correction; returns what restores moto as it was."""
    restores = [_object_lock_reads_the_product_clock(), _legal_hold_on_a_missing_key_is_no_such_key(),
                _links_are_signed_and_expire_on_the_product_clock()]

    def restore() -> None:
        for undo in reversed(restores):
            undo()
    return restore
