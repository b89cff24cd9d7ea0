"""Sanctions and PEP lists: publish a new version (validated, versioned, indexed), show the
versions in force. The version in force changes only when a new one is fully stored."""
from __future__ import annotations

import hashlib
import urllib.request
from typing import Any

from chalicelib.api.models import ListRefreshRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.domain.screening.entities import ListEntity
from chalicelib.domain.screening.formats import parse_list
from chalicelib.domain.screening.index import INDEX_FORMAT, NameIndex
from chalicelib.domain.screening.list_update import ListSource, RefreshRefused, check_size, diff, screened_ids
from chalicelib.errors import InvalidField, NotFound
from chalicelib.policies import list_sources_policy
from chalicelib.services import monitoring
from chalicelib.stores import AWS, Stores
from chalicelib.stores.list_bucket import ListManifest, content_version

MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024
_ENTRY_VERSIONS = 8  # list versions whose entries a process keeps parsed (case files read recent ones)
_entries: dict[tuple[str, str], dict[str, ListEntity]] = {}


def in_force(caller: Caller, stores: Stores = AWS) -> list[dict[str, Any]]:
    """Every source of the policy: the version in force of each (None before its first), and for a
    retired one since when, what replaces it and its last version (no longer screened)."""
    items = []
    for source, config in list_sources_policy().sources.items():
        item: dict[str, Any] = {"source": source, "kind": config.kind.value, "format": config.format,
                                "publisher": config.publisher,
                                "status": "retired" if config.retired else "in_force", "required": config.required}
        if config.retired:
            item |= {"retired_on": config.retired_on.isoformat(), "replaced_by": config.replaced_by,
                     "retirement": config.retirement}
        try:
            manifest = stores.lists.current(source)
        except NotFound:
            items.append(item | {"version": None})
            continue
        items.append(item | {"version": manifest.version, "snapshot": manifest.snapshot,
                             "published_at": manifest.published_at, "entries": manifest.entity_count,
                             "files": manifest.files, "index_sha256": manifest.index_sha256})
    return items


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (URLs come from the reviewed policy)
        body = response.read(MAX_DOWNLOAD_BYTES + 1)
    if len(body) > MAX_DOWNLOAD_BYTES:
        raise RefreshRefused("TOO_LARGE", f"{url} is larger than {MAX_DOWNLOAD_BYTES} bytes")
    return body


def refresh(caller: Caller, request: ListRefreshRequest, stores: Stores = AWS) -> dict[str, Any]:
    """Load a new version from an upload (uploads/<source>/<prefix>/) or from the publisher's
    URLs in policies/lists.yaml, and publish it unless it is refused."""
    sources = list_sources_policy().sources
    if request.source not in sources:
        raise InvalidField("source", f"must be one of {', '.join(sources)}")
    config = sources[request.source]
    _refuse_retired(request.source, config)
    if request.upload_prefix:
        try:
            files = stores.lists.read_upload(request.source, request.upload_prefix, list(config.files))
        except NotFound as exc:
            raise InvalidField("upload_prefix", f"a file of the list is missing: {exc}") from None
    else:
        try:
            files = {name: _download(url) for name, url in config.files.items()}
        except OSError as exc:
            raise RefreshRefused("DOWNLOAD_FAILED", f"could not download the list: {type(exc).__name__}") from exc
    snapshot = request.snapshot.isoformat() if request.snapshot else utc_now().date().isoformat()
    return publish(request.source, files, snapshot, stores)


def _refuse_retired(source: str, config: ListSource) -> None:
    if config.retired_on is not None:
        replaced = f"; {config.replaced_by} replaces it" if config.replaced_by else ""
        raise RefreshRefused("RETIRED_LIST", f"{source} was retired on {config.retired_on.isoformat()}{replaced}: "
                                             f"no new version of it is published")


def publish(source: str, files: dict[str, bytes], snapshot: str, stores: Stores = AWS) -> dict[str, Any]:
    config = list_sources_policy().sources[source]
    _refuse_retired(source, config)
    try:
        entities = parse_list(config.format, files, source)
    except Exception as exc:  # a parser failing on a broken file is a refusal, not a crash
        raise RefreshRefused("UNREADABLE_LIST", f"the files could not be read as {config.format}: "
                                                f"{type(exc).__name__}") from exc
    version, digests = content_version(snapshot, files)
    try:
        current = stores.lists.current(source)
    except NotFound:
        current = None
    if current and current.version == version:
        if current.index_format == INDEX_FORMAT:
            return {"status": "unchanged", "source": source, "version": version}
        index = NameIndex.build(source, version, entities).to_bytes()  # stored by an older release: rebuilt
        stores.lists.publish(current.model_copy(update={"index_sha256": hashlib.sha256(index).hexdigest(),
                                                        "index_format": INDEX_FORMAT}), files, index)
        return {"status": "reindexed", "source": source, "version": version}
    check_size(current.entity_count if current else None, len(entities), list_sources_policy().max_shrink.percent)
    previous = parse_list(current.format, stores.lists.read_files(current), source) if current else []
    index = NameIndex.build(source, version, entities).to_bytes()
    manifest = ListManifest(source=source, version=version, snapshot=snapshot, format=config.format,
                            files=digests, published_at=iso(utc_now()), entity_count=len(entities),
                            index_sha256=hashlib.sha256(index).hexdigest(), index_format=INDEX_FORMAT)
    stores.lists.publish(manifest, files, index)
    if current is not None:  # a list's first version is screened by the next full re-screen
        monitoring.start_delta(manifest, screened_ids(previous, entities), stores)
    return {"status": "published", "source": source, "version": version,
            "previous_version": current.version if current else None,
            "entries": len(entities), "diff": diff(previous, entities).model_dump()}


def listed_entry(source: str, version: str, source_id: str, stores: Stores = AWS) -> ListEntity | None:
    """An entry as the list version a screening used gives it (parsed from that version's own files,
    kept for the few versions read last); None if the version or the entry cannot be found."""
    key = (source, version)
    if key not in _entries:
        try:
            manifest = stores.lists.manifest(source, version)
        except NotFound:
            return None
        entities = parse_list(manifest.format, stores.lists.read_files(manifest), source)
        while len(_entries) >= _ENTRY_VERSIONS:
            _entries.pop(next(iter(_entries)))
        _entries[key] = {e.source_id: e for e in entities}
    return _entries[key].get(source_id)
