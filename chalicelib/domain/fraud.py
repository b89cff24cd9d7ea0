"""Fraud signals at sign-up (policies/fraud.yaml): pure checks over what the identity graph holds
about earlier sign-ups (chalicelib/domain/identity_graph.py) and over the applicant's contact
details. Each signal has a stable code, a detail and evidence that names other checkpoints by id,
never their data; the policy maps each to a verdict like the onboarding checks."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from iso3166 import countries
from pydantic import Field

from chalicelib.domain.decisions import CheckRules, SourcedValue
from chalicelib.domain.fraud_signals import FraudSignal
from chalicelib.domain.identity_graph import GraphEntry, Link, LinkKind
from chalicelib.domain.identity.images import hamming
from chalicelib.domain.models import Applicant, CheckResult, Frozen


class VelocityAttribute(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    DEVICE = "device"
    IP_PREFIX = "ip_prefix"


class VelocityLimit(SourcedValue):
    max_signups: int = Field(gt=0, le=10_000)


class IpPrefixBits(Frozen):
    ipv4: int = Field(ge=8, le=32)
    ipv6: int = Field(ge=16, le=128)


class Velocity(Frozen):
    window_minutes: int = Field(gt=0, le=7 * 24 * 60)
    limits: Mapping[VelocityAttribute, VelocityLimit]
    ip_prefix_bits: IpPrefixBits


class ImageSimilarity(Frozen):
    max_distance: int = Field(ge=0, le=3)  # the graph's four 16-bit bands find every pair within 3 bits


class FraudPolicy(CheckRules):
    velocity: Velocity
    image_similarity: ImageSimilarity
    evidence_limit: int = Field(gt=0, le=100)


class Evidence(Frozen):
    """Why a signal was raised: what matched and which other checkpoints, by id."""

    attribute: str  # document, image:front, email, phone, device, ip_prefix
    checkpoint_ids: tuple[str, ...]
    count: int | None = None  # velocity: sign-ups in the window, this one included
    window_minutes: int | None = None
    distance: int | None = None  # image: the closest perceptual-hash distance, in bits


class Signal(Frozen):
    code: FraudSignal
    flagged: bool
    detail: str = ""
    field: str | None = None
    evidence: tuple[Evidence, ...] = ()

    def check(self) -> CheckResult:
        return CheckResult(code=self.code, passed=not self.flagged, detail=self.detail,
                           field=self.field if self.flagged else None)


class FraudAssessment(Frozen):
    """The fraud step's full result (stored with the checkpoint's results)."""

    policy_version: str
    assessed_at: str
    signals: tuple[Signal, ...]

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        return tuple(s.check() for s in self.signals)

    def flagged(self) -> tuple[Signal, ...]:
        return tuple(s for s in self.signals if s.flagged)


_ATTRIBUTE = {LinkKind.DOCUMENT: "document", LinkKind.EMAIL: "email", LinkKind.PHONE: "phone",
              LinkKind.DEVICE: "device", LinkKind.IP_PREFIX: "ip_prefix"}


def _newest_ids(entries: Iterable[GraphEntry], limit: int) -> tuple[str, ...]:
    newest: dict[str, str] = {}
    for entry in entries:
        newest[entry.checkpoint_id] = max(entry.at, newest.get(entry.checkpoint_id, ""))
    return tuple(sorted(newest, key=lambda cp: (newest[cp], cp), reverse=True)[:limit])


def counts_every_identity(kind: LinkKind, policy: FraudPolicy) -> bool:
    """Whether `graph_signals` looks at every sign-up under a link of this kind (velocity counts
    them, whoever they are), or only at those of other identities (a document, an image or a
    contact detail reused): for those, `found` may leave out the entries of this identity."""
    return any(LinkKind(attribute.value) is kind for attribute in policy.velocity.limits)


def graph_signals(checkpoint_id: str, identity: str, started_at: datetime, links: Sequence[Link],
                  found: Mapping[str, Sequence[GraphEntry]], policy: FraudPolicy) -> list[Signal]:
    """The signals over the graph: `found` holds, for each of this sign-up's links (by key), the
    entries other sign-ups left under it (this checkpoint's own are ignored; under a link whose
    kind `counts_every_identity` does not, those of this identity may be left out)."""
    limit = policy.evidence_limit

    def others(link: Link) -> list[GraphEntry]:
        return [e for e in found.get(link.key, ()) if e.checkpoint_id != checkpoint_id]

    def other_identities(link: Link) -> list[GraphEntry]:
        return [e for e in others(link) if e.identity != identity]

    by_kind: dict[LinkKind, list[Link]] = {}
    for link in links:
        by_kind.setdefault(link.kind, []).append(link)

    document = [e for link in by_kind.get(LinkKind.DOCUMENT, []) for e in other_identities(link)]
    signals = [Signal(code=FraudSignal.DOCUMENT_REUSED, flagged=bool(document),
                      detail=f"the same document under {len(_newest_ids(document, 10**6))} other identities"
                      if document else "",
                      evidence=(Evidence(attribute="document", checkpoint_ids=_newest_ids(document, limit)),)
                      if document else ())]

    image_evidence = []
    for side in sorted({link.side for link in links if link.side}):
        exact = [e for link in by_kind.get(LinkKind.IMAGE_SHA256, []) if link.side == side
                 for e in other_identities(link)]
        near: dict[str, int] = {e.checkpoint_id: 0 for e in exact}
        for link in by_kind.get(LinkKind.IMAGE_PHASH, []):
            if link.side != side or link.phash is None:
                continue
            for entry in other_identities(link):
                if entry.phash is None:
                    continue
                distance = hamming(int(link.phash, 16), int(entry.phash, 16))
                if distance <= policy.image_similarity.max_distance:
                    near[entry.checkpoint_id] = min(distance, near.get(entry.checkpoint_id, distance))
        if near:
            ids = tuple(sorted(near, key=lambda cp: (near[cp], cp))[:limit])
            image_evidence.append(Evidence(attribute=f"image:{side}", checkpoint_ids=ids, distance=min(near.values())))
    signals.append(Signal(code=FraudSignal.DOCUMENT_IMAGE_REUSED, flagged=bool(image_evidence),
                          detail=", ".join(f"{e.attribute} seen under another identity (distance {e.distance} bits)"
                                           for e in image_evidence),
                          evidence=tuple(image_evidence)))

    contact_evidence = []
    for kind in (LinkKind.EMAIL, LinkKind.PHONE):
        entries = [e for link in by_kind.get(kind, []) for e in other_identities(link)]
        if entries:
            contact_evidence.append(Evidence(attribute=_ATTRIBUTE[kind], checkpoint_ids=_newest_ids(entries, limit)))
    signals.append(Signal(code=FraudSignal.CONTACT_REUSED, flagged=bool(contact_evidence),
                          detail=", ".join(f"{e.attribute} used by another identity" for e in contact_evidence),
                          evidence=tuple(contact_evidence)))

    window = timedelta(minutes=policy.velocity.window_minutes)
    for attribute, limit_rule in sorted(policy.velocity.limits.items()):
        kind = LinkKind(attribute.value)
        if not by_kind.get(kind):
            continue  # the channel did not pass a device id or an address: nothing to count
        recent = [e for link in by_kind[kind] for e in others(link)
                  if started_at - window <= datetime.fromisoformat(e.at.replace("Z", "+00:00")) <= started_at]
        count = len({e.checkpoint_id for e in recent}) + 1
        exceeded = count > limit_rule.max_signups
        signals.append(Signal(
            code=FraudSignal.VELOCITY_EXCEEDED, flagged=exceeded,
            detail=f"{count} sign-ups from one {attribute.value} in {policy.velocity.window_minutes} minutes "
                   f"(at most {limit_rule.max_signups})",
            evidence=(Evidence(attribute=attribute.value, checkpoint_ids=_newest_ids(recent, limit), count=count,
                               window_minutes=policy.velocity.window_minutes),) if exceeded else ()))
    return signals


def contact_signals(applicant: Applicant, disposable_domains: frozenset[str] | set[str]) -> list[Signal]:
    """The applicant's e-mail address and phone number as such: valid, disposable, of the country
    they live in."""
    from email_validator import EmailNotValidError, validate_email  # imported when a sign-up is assessed
    import phonenumbers

    signals = []
    try:
        domain = validate_email(applicant.email, check_deliverability=False).ascii_domain.lower()
        signals.append(Signal(code=FraudSignal.EMAIL_INVALID, flagged=False))
    except EmailNotValidError as exc:
        domain = applicant.email.rsplit("@", 1)[-1].lower()
        signals.append(Signal(code=FraudSignal.EMAIL_INVALID, flagged=True, field="applicant.email",
                              detail=_email_problem(exc)))
    disposable = any(d in disposable_domains for d in (domain, *_parents(domain)))  # a subdomain too
    signals.append(Signal(code=FraudSignal.EMAIL_DISPOSABLE, flagged=disposable,
                          detail="the e-mail domain is a disposable-mailbox service" if disposable else ""))
    try:
        number = phonenumbers.parse(applicant.phone, None)
        valid = phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        number, valid = None, False
    signals.append(Signal(code=FraudSignal.PHONE_INVALID, flagged=not valid, field="applicant.phone",
                          detail="" if valid else "the number is not a valid number of its country code"))
    region = phonenumbers.region_code_for_number(number) if number is not None and valid else None
    home = countries.get(applicant.address.country).alpha2
    mismatch = region is not None and region != home
    signals.append(Signal(code=FraudSignal.PHONE_COUNTRY_MISMATCH, flagged=mismatch,
                          detail=f"a {region} number for an address in {home}" if mismatch else ""))
    return signals


def _email_problem(exc: Exception) -> str:
    """email-validator's reason, without the address (its messages may quote parts of it)."""
    text = str(exc)
    return "the address is not valid: " + ("its domain" if "domain" in text.lower() else "its local part"
                                           if "before the @" in text.lower() else "its syntax")


def _parents(domain: str) -> list[str]:
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(1, len(parts) - 1)]
