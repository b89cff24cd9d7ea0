"""Fraud signals at sign-up (the workflow's AssessFraud step, the third branch of RunChecks): the
sign-up's links into the identity graph are written (keyed hashes only), every earlier sign-up
that made the same link is read back, and the pure checks of chalicelib/domain/fraud.py decide.
The full assessment (signals with evidence: other checkpoints by id) is stored with the
checkpoint's results; the step records the verdict and the codes."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from disposable_email_domains import blocklist

from chalicelib.domain.checkpoint import Step, iso, utc_now
from chalicelib.domain.decisions import judge
from chalicelib.domain.fraud import FraudAssessment, contact_signals, counts_every_identity, graph_signals
from chalicelib.domain.identity.images import DOCUMENT_SIDES, perceptual_hash
from chalicelib.domain.identity_graph import (
    GraphEntry,
    Hasher,
    device_links,
    identity_of,
    image_links,
    person_links,
)
from chalicelib.policies import fraud_policy
from chalicelib.services.onboarding import application_of
from chalicelib.stores import AWS, Stores
from chalicelib.stores.document_bucket import result_key

STEP = "fraud"


def assess_checkpoint(checkpoint_id: str, images: Mapping[str, str] | None = None, stores: Stores = AWS) -> Step:
    """Link the sign-up into the graph, look for the patterns, record the step. The links are
    written before they are read, so two sign-ups at the same moment see each other; a re-run after
    a correction replaces this sign-up's links (and keeps its place in time: the sign-up's start)."""
    policy = fraud_policy()
    checkpoint = stores.checkpoints.get(checkpoint_id)
    application = application_of(checkpoint_id, stores, checkpoint.request_key)
    hasher = Hasher(stores.hash_key.key())
    links = [*person_links(application.applicant, application.document, hasher),
             *device_links(application.channel.device, application.channel.ip_prefix)]
    for side, key in sorted((images or {}).items()):
        if side in DOCUMENT_SIDES:
            content = stores.documents.read_bytes(key)
            links.extend(image_links(side, content, perceptual_hash(content), hasher))
    identity = identity_of(application.applicant, hasher)
    stores.identity_graph.replace(checkpoint_id, [
        GraphEntry(checkpoint_id=checkpoint_id, identity=identity, kind=link.kind, value=link.value,
                   at=checkpoint.created_at, side=link.side, phash=link.phash) for link in links])
    found = {link.key: stores.identity_graph.linked(
        link.key, other_than=None if counts_every_identity(link.kind, policy) else identity) for link in links}
    started = datetime.fromisoformat(checkpoint.created_at.replace("Z", "+00:00"))
    signals = [*graph_signals(checkpoint_id, identity, started, links, found, policy),
               *contact_signals(application.applicant, blocklist)]
    now = iso(utc_now())
    assessment = FraudAssessment(policy_version=policy.version, assessed_at=now, signals=tuple(signals))
    key = result_key(checkpoint_id, STEP)
    stores.documents.put_json(key, assessment)
    verdict, reasons = judge(assessment.checks, policy)
    step = Step(name=STEP, verdict=verdict, reasons=reasons, finished_at=now, result_key=key)
    stores.checkpoints.record_step(checkpoint_id, step)
    return step
