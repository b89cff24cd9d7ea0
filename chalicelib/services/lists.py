"""Sanctions and PEP lists: publish a new version (validated, versioned, indexed), from the
publisher's files or, for the bank's internal watchlist, from compliance's entries; show the
versions in force. The version in force changes only when a new one is fully stored."""
from __future__ import annotations

import hashlib
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.api.models import ListRefreshRequest, WatchlistVersionRequest
from chalicelib.domain.actors import Caller
from chalicelib.domain.checkpoint import iso, utc_now
from chalicelib.domain.ids import new_id
from chalicelib.domain.monitoring import MonitoringRun
from chalicelib.domain.screening.entities import ListEntity
from chalicelib.domain.screening.formats import iter_list, parse_list
from chalicelib.domain.screening.index import INDEX_FORMAT, NameIndex
from chalicelib.domain.screening.list_update import (
    ListOrigin,
    ListRefresh,
    ListSource,
    RefreshRefused,
    RefreshStage,
    RefreshState,
    check_size,
    diff_of,
    fingerprint,
    fingerprints,
    screened_of,
)
from chalicelib.domain.screening.watchlist import FILE_NAME, canonical_file
from chalicelib.errors import InvalidField, NotFound
from chalicelib.policies import list_sources_policy
from chalicelib.services import monitoring
from chalicelib.settings import get_settings
from chalicelib.stores import AWS, Stores
from chalicelib.stores.list_bucket import ListManifest, content_version

MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024
INTERNAL = "internal"  # the source id of the bank's own watchlist (policies/lists.yaml)
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
    if config.origin is ListOrigin.BANK:
        raise InvalidField("source", f"{request.source} is the bank's own list: publish it with "
                                     f"POST /v1/lists/{request.source}/versions")
    _refuse_retired(request.source, config)
    snapshot = request.snapshot.isoformat() if request.snapshot else None
    if config.asynchronous if request.asynchronous is None else request.asynchronous:
        return _accept(caller, request.source, request.upload_prefix, snapshot, stores)
    files = _files(request.source, request.upload_prefix, stores)
    return publish(request.source, files, snapshot or utc_now().date().isoformat(), stores)


def _files(source: str, upload_prefix: str | None, stores: Stores) -> dict[str, bytes]:
    """The files of a new version: uploaded under uploads/<source>/<prefix>/, or downloaded from
    the publisher's URLs."""
    config = list_sources_policy().sources[source]
    if upload_prefix:
        try:
            return stores.lists.read_upload(source, upload_prefix, list(config.files))
        except NotFound as exc:
            raise InvalidField("upload_prefix", f"a file of the list is missing: {exc}") from None
    try:
        return {name: _download(url) for name, url in config.files.items()}
    except OSError as exc:
        raise RefreshRefused("DOWNLOAD_FAILED", f"could not download the list: {type(exc).__name__}") from exc


# ---- a refresh in the background (the list refresh workflow) ----

def _accept(caller: Caller, source: str, upload_prefix: str | None, snapshot: str | None,
            stores: Stores) -> dict[str, Any]:
    """Record the refresh and start its workflow, named after it; the answer is 202 with its id."""
    now = iso(utc_now())
    refresh = ListRefresh(refresh_id=new_id("lrf"), source=source, upload_prefix=upload_prefix, snapshot=snapshot,
                          requested_by=caller.subject, requested_at=now, updated_at=now)
    stores.lists.put_refresh(refresh)
    stores.workflows.start(get_settings().list_refresh_state_machine_arn, refresh.refresh_id,
                           {"refresh_id": refresh.refresh_id})
    return {"status": "accepted", "source": source, "refresh_id": refresh.refresh_id}


def refresh_state(caller: Caller, refresh_id: str, stores: Stores = AWS) -> ListRefresh:
    return stores.lists.get_refresh(refresh_id)


def run_refresh(refresh_id: str, stores: Stores = AWS) -> dict[str, Any]:
    """The workflow's task: read, parse, index and publish the version (or refuse it), recording
    each stage in the refresh record. A refresh that has ended is not run again (a retried task)."""
    refresh = stores.lists.get_refresh(refresh_id)
    if refresh.ended:
        return {"state": refresh.state.value}

    def at(stage: RefreshStage, **update: Any) -> None:
        nonlocal refresh
        refresh = refresh.model_copy(update={"state": RefreshState.RUNNING, "stage": stage,
                                             "updated_at": iso(utc_now()), **update})
        stores.lists.put_refresh(refresh)

    at(RefreshStage.READING)
    try:
        files = _files(refresh.source, refresh.upload_prefix, stores)
        report = publish(refresh.source, files, refresh.snapshot or utc_now().date().isoformat(), stores, at)
    except (RefreshRefused, InvalidField) as exc:
        code = exc.code if isinstance(exc, RefreshRefused) else "UPLOAD_INCOMPLETE"
        _ended(refresh, stores, state=RefreshState.REFUSED, error_code=code, error=str(exc))
        return {"state": RefreshState.REFUSED.value, "error_code": code}
    _ended(refresh, stores, state=RefreshState(report["status"]), report=report)
    return {"state": report["status"]}


def refresh_failed(refresh_id: str, error: Any, stores: Stores = AWS) -> dict[str, Any]:
    """The workflow's catch: the refresh failed (a fault, retried already); the version in force keeps serving."""
    refresh = stores.lists.get_refresh(refresh_id)
    name = str(error.get("Error") if isinstance(error, dict) else error or "RefreshFailed")[:128]
    if not refresh.ended:
        _ended(refresh, stores, state=RefreshState.FAILED, error_code="REFRESH_FAILED", error=name)
    return {"state": RefreshState.FAILED.value, "error": name}


def _ended(refresh: ListRefresh, stores: Stores, **update: Any) -> None:
    now = iso(utc_now())
    stores.lists.put_refresh(refresh.model_copy(update={"updated_at": now, "finished_at": now, **update}))


def publish_internal(caller: Caller, request: WatchlistVersionRequest, stores: Stores = AWS) -> dict[str, Any]:
    """A new version of the bank's internal watchlist: the whole list, as compliance sends it."""
    first: dict[str, int] = {}
    for number, entry in enumerate(request.entries):
        if (seen := first.setdefault(entry.entry_id, number)) != number:
            raise InvalidField(f"entries.{number}.entry_id", f"is also the id of entries.{seen}: each entry id "
                                                             f"must be unique")
    entries = [e.model_dump(mode="json") for e in request.entries]
    return publish(INTERNAL, {FILE_NAME: canonical_file(entries)}, utc_now().date().isoformat(), stores)


def _refuse_retired(source: str, config: ListSource) -> None:
    if config.retired_on is not None:
        replaced = f"; {config.replaced_by} replaces it" if config.replaced_by else ""
        raise RefreshRefused("RETIRED_LIST", f"{source} was retired on {config.retired_on.isoformat()}{replaced}: "
                                             f"no new version of it is published")


def publish(source: str, files: dict[str, bytes], snapshot: str, stores: Stores = AWS,
            progress: Callable[[RefreshStage], None] | None = None) -> dict[str, Any]:
    """Parse, diff, index and store a new version unless it is refused; `progress` hears each stage.
    The entries are indexed as they are parsed and only their fingerprints kept (a list of a
    million entries is never held whole, nor next to the version in force: the diff is worked
    out from both versions' fingerprints)."""
    config = list_sources_policy().sources[source]
    _refuse_retired(source, config)
    version, digests = content_version(snapshot, files)
    try:
        current = stores.lists.current(source)
    except NotFound:
        current = None
    in_force = current is not None and (current.version == version or current.files == digests)
    if in_force and current.index_format == INDEX_FORMAT:  # the files in force: nothing to parse again
        run = _screen_unscreened(current, lambda: fingerprints(_read_entities(config.format, files, source)), stores)
        return {"status": "unchanged", "source": source, "version": current.version,
                **({"monitoring_run_id": run.run_id} if run else {})}
    if progress:
        progress(RefreshStage.PARSING)
    if in_force:
        index = NameIndex.build(source, current.version, _read_entities(config.format, files, source)).to_bytes()
        stores.lists.publish(current.model_copy(update={"index_sha256": hashlib.sha256(index).hexdigest(),
                                                        "index_format": INDEX_FORMAT}), files, index)
        return {"status": "reindexed", "source": source, "version": current.version}
    after: dict[str, bytes] = {}
    count = 0

    def fingerprinted() -> Iterator[ListEntity]:
        nonlocal count
        for entity in _read_entities(config.format, files, source):
            after[entity.source_id] = fingerprint(entity)
            count += 1
            yield entity

    built = NameIndex.build(source, version, fingerprinted())  # parsed and indexed one entry at a time
    check_size(current.entity_count if current else None, count, list_sources_policy().max_shrink.percent)
    if progress:
        progress(RefreshStage.INDEXING)
    before = _fingerprints_of(current, stores) if current else {}
    screens = current is not None or config.screens_first_version  # a delta run screens the version
    changes, screened = diff_of(before, after), screened_of(before, after) if screens else []
    del before
    after.clear()  # the fingerprints gone before the index is serialised (the publish's peak)
    index = built.to_bytes()
    del built
    manifest = ListManifest(source=source, version=version, snapshot=snapshot, format=config.format,
                            files=digests, published_at=iso(utc_now()), entity_count=count,
                            index_sha256=hashlib.sha256(index).hexdigest(), index_format=INDEX_FORMAT,
                            previous_version=current.version if current else None)
    stores.lists.publish(manifest, files, index)
    run = monitoring.start_delta(manifest, screened, stores) if screens else None
    return {"status": "published", "source": source, "version": version,
            "previous_version": current.version if current else None,
            "entries": count, "diff": changes.model_dump(),
            "monitoring_run_id": run.run_id if run else None}


def _read_entities(fmt: str, files: dict[str, bytes], source: str) -> Iterator[ListEntity]:
    """The version's entities as the format's parser gives them (one at a time where it can);
    a parser failing on a broken file is a refusal, not a crash."""
    try:
        entities = iter_list(fmt, files, source)
        while (entity := next(entities, None)) is not None:
            yield entity
    except RefreshRefused:
        raise
    except Exception as exc:
        raise RefreshRefused("UNREADABLE_LIST", f"the files could not be read as {fmt}: "
                                                f"{type(exc).__name__}") from exc


def _fingerprints_of(manifest: ListManifest, stores: Stores) -> dict[str, bytes]:
    """The fingerprints of a stored version's entries, parsed from its own files."""
    return fingerprints(iter_list(manifest.format, stores.lists.read_files(manifest), manifest.source))


def _screen_unscreened(manifest: ListManifest, after: Callable[[], dict[str, bytes]],
                       stores: Stores) -> MonitoringRun | None:
    """The version in force sent again: its delta run, started now if the publish stopped before
    it did, so that no published version goes unscreened. None when no delta screens the version
    (an official list's first; or it changed no entry). `after`: its entries' fingerprints."""
    config = list_sources_policy().sources[manifest.source]
    if manifest.previous_version is None and not config.screens_first_version:
        return None
    if (run := monitoring.restart_delta(manifest, stores)) is not None:
        return run
    before = {}
    if manifest.previous_version is not None:
        before = _fingerprints_of(stores.lists.manifest(manifest.source, manifest.previous_version), stores)
    return monitoring.start_delta(manifest, screened_of(before, after()), stores)


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
