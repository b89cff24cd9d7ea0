"""The lists bucket (S3): sanctions and PEP lists stored versioned.

    lists/<source>/<version>/<file>      the list files exactly as published
    lists/<source>/<version>/index.bin   the name index built from them (loaded at cold start)
    lists/<source>/<version>/manifest.json  that version's manifest (a case file reads an older version)
    lists/<source>/current.json          the manifest of the version in force
    uploads/<source>/...                 files a compliance officer uploads for a refresh
    lists/refreshes/<refresh_id>.json    a refresh in the background, as it stands

A version is the snapshot date plus the first 12 hex digits of the SHA-256 over the files,
so the same content always gets the same version and any change gets a new one.
"""
from __future__ import annotations

import base64
import hashlib
import time
from typing import Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.models import Frozen
from chalicelib.domain.screening.list_update import RESERVED_SOURCE, ListRefresh
from chalicelib.errors import NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import client
from chalicelib.stores.stored import parse_json


class ListManifest(Frozen):
    source: str
    version: str
    snapshot: str
    format: str
    files: dict[str, str]  # file name -> SHA-256 (hex)
    published_at: str
    entity_count: int = 0
    index_sha256: str | None = None
    index_format: str | None = None  # None: stored before formats were recorded (an older one)
    previous_version: str | None = None  # the version it replaced (None: a list's first, or stored before it was kept)


INDEX_FILE = "index.bin"
MANIFEST_FILE = "manifest.json"


def _key(source: str, version: str, name: str) -> str:
    return f"lists/{source}/{version}/{name}"


def content_version(snapshot: str, files: dict[str, bytes]) -> tuple[str, dict[str, str]]:
    digests = {name: hashlib.sha256(body).hexdigest() for name, body in sorted(files.items())}
    combined = hashlib.sha256("".join(f"{n}:{d};" for n, d in digests.items()).encode()).hexdigest()
    return f"{snapshot}-{combined[:12]}", digests


def _b64_sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


class ListStore(Protocol):
    def publish(self, manifest: ListManifest, files: dict[str, bytes], index: bytes) -> None: ...
    def current(self, source: str) -> ListManifest: ...
    def manifest(self, source: str, version: str) -> ListManifest: ...
    def read_index(self, manifest: ListManifest) -> bytes: ...
    def read_files(self, manifest: ListManifest) -> dict[str, bytes]: ...
    def read_upload(self, source: str, prefix: str, names: list[str]) -> dict[str, bytes]: ...
    def put_refresh(self, refresh: ListRefresh) -> None: ...
    def get_refresh(self, refresh_id: str) -> ListRefresh: ...


# Which version of each list is in force is read from S3 at most once per this many seconds per
# process (a publish in this process is seen at once): without it every screening and every health
# check paid four S3 reads. A version published by another instance takes effect here within it.
CURRENT_CACHE_SECONDS = 30.0


class ListBucket:
    """`ListStore` on S3 (the bucket named by the LISTS_BUCKET setting)."""

    def __init__(self) -> None:
        self._current: dict[tuple[str, str], tuple[float, ListManifest | None]] = {}  # (bucket, source) -> (read at, manifest)

    @staticmethod
    def _bucket() -> str:
        return get_settings().lists_bucket

    def _read(self, key: str) -> bytes:
        try:
            return client("s3").get_object(Bucket=self._bucket(), Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise NotFound(key) from exc
            raise

    def publish(self, manifest: ListManifest, files: dict[str, bytes], index: bytes) -> None:
        """Store the files, the index and the manifest under their version, then point `current.json`
        at it (last, so readers never see a manifest whose files are missing)."""
        s3, bucket = client("s3"), self._bucket()
        for name, body in {**files, INDEX_FILE: index, MANIFEST_FILE: manifest.model_dump_json().encode()}.items():
            s3.put_object(Bucket=bucket, Key=_key(manifest.source, manifest.version, name), Body=body,
                          ChecksumSHA256=_b64_sha256(body))
        s3.put_object(Bucket=bucket, Key=f"lists/{manifest.source}/current.json",
                      Body=manifest.model_dump_json().encode(), ContentType="application/json")
        self._current[(bucket, manifest.source)] = (time.monotonic(), manifest)

    def current(self, source: str) -> ListManifest:
        cached = self._current.get((self._bucket(), source))
        if cached and time.monotonic() - cached[0] < CURRENT_CACHE_SECONDS:
            if cached[1] is None:
                raise NotFound(f"no list published for {source}")
            return cached[1]
        try:
            body = self._read(f"lists/{source}/current.json")
        except NotFound:
            self._current[(self._bucket(), source)] = (time.monotonic(), None)  # none yet: cached as well
            raise NotFound(f"no list published for {source}") from None
        manifest = parse_json(ListManifest, body, "list manifest", source)
        self._current[(self._bucket(), source)] = (time.monotonic(), manifest)
        return manifest

    def manifest(self, source: str, version: str) -> ListManifest:
        """The manifest of one version (in force or not); NotFound for a version never published,
        or published before versions kept their own manifest and no longer in force."""
        try:
            return parse_json(ListManifest, self._read(_key(source, version, MANIFEST_FILE)), "list manifest", version)
        except NotFound:
            current = self.current(source)
            if current.version != version:
                raise
            return current

    def read_index(self, manifest: ListManifest) -> bytes:
        body = self._read(_key(manifest.source, manifest.version, INDEX_FILE))
        if hashlib.sha256(body).hexdigest() != manifest.index_sha256:
            raise ValueError(f"{manifest.source} {manifest.version}: the index does not match its SHA-256")
        return body

    def read_files(self, manifest: ListManifest) -> dict[str, bytes]:
        """The manifest's files, each checked against its recorded SHA-256."""
        files = {}
        for name, digest in manifest.files.items():
            body = self._read(_key(manifest.source, manifest.version, name))
            if hashlib.sha256(body).hexdigest() != digest:
                raise ValueError(f"{manifest.source} {manifest.version}: {name} does not match its SHA-256")
            files[name] = body
        return files

    def read_upload(self, source: str, prefix: str, names: list[str]) -> dict[str, bytes]:
        """Files uploaded for a refresh under uploads/<source>/<prefix>/; NotFound names the missing one."""
        return {name: self._read(f"uploads/{source}/{prefix.strip('/')}/{name}") for name in names}

    def put_refresh(self, refresh: ListRefresh) -> None:
        """A refresh in the background, as it stands (written by the API, then by its workflow)."""
        client("s3").put_object(Bucket=self._bucket(), Key=_refresh_key(refresh.refresh_id),
                                Body=refresh.model_dump_json().encode(), ContentType="application/json")

    def get_refresh(self, refresh_id: str) -> ListRefresh:
        return parse_json(ListRefresh, self._read(_refresh_key(refresh_id)), "list refresh", refresh_id)


def _refresh_key(refresh_id: str) -> str:
    return f"lists/{RESERVED_SOURCE}/{refresh_id}.json"  # no list source may have that name
