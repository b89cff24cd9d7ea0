"""The fraud signals (chalicelib/domain/fraud.py) over a small identity graph built in memory, each
rule at, below and above its threshold (policies/fraud.yaml), and the graph's keyed hashes."""
from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.fraud import FraudSignal, contact_signals, counts_every_identity, graph_signals
from chalicelib.domain.identity_graph import (
    BANDS,
    GraphEntry,
    Hasher,
    Link,
    LinkKind,
    channel_hashes,
    identity_of,
    image_links,
    network_prefix,
    person_links,
)
from chalicelib.domain.models import Address, Applicant, DocumentType, IdentityDocument
from chalicelib.policies import fraud_policy

HASHER = Hasher(hashlib.sha256(b"unit").digest())
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def applicant(**changes) -> Applicant:
    return Applicant(given_names="Maren Elise", family_name="Lindqvist", birth_date=date(1988, 4, 17),
                     nationality="SWE", email="maren@example.org", phone="+46701234567",
                     address=Address(line1="Storgatan 12", city="Uppsala", postal_code="75320", country="SWE")
                     ).model_copy(update=changes)


DOCUMENT = IdentityDocument(type=DocumentType.PASSPORT, number="XK4419027", issuing_country="SWE",
                            expiry_date=date(2034, 1, 1))


def entries(checkpoint_id: str, links: list[Link], identity: str, at: datetime) -> list[GraphEntry]:
    return [GraphEntry(checkpoint_id=checkpoint_id, identity=identity, kind=link.kind, value=link.value,
                       at=at.isoformat().replace("+00:00", "Z"), side=link.side, phash=link.phash) for link in links]


def signals_of(links: list[Link], earlier: list[GraphEntry], identity: str = "me", policy=None) -> dict:
    found = {link.key: [e for e in earlier if e.key == link.key] for link in links}
    return {s.code: s for s in graph_signals("cp_me", identity, NOW, links, found, policy or fraud_policy())}


def test_the_same_document_under_another_identity_is_reused_and_under_the_same_one_is_not():
    links = person_links(applicant(), DOCUMENT, HASHER)
    same_doc = [links[0]]
    assert signals_of(links, entries("cp_other", same_doc, "someone-else", NOW))[
        FraudSignal.DOCUMENT_REUSED].evidence[0].checkpoint_ids == ("cp_other",)
    assert not signals_of(links, entries("cp_again", same_doc, "me", NOW))[FraudSignal.DOCUMENT_REUSED].flagged
    assert not signals_of(links, entries("cp_me", same_doc, "someone-else", NOW))[
        FraudSignal.DOCUMENT_REUSED].flagged  # a sign-up's own links are not evidence against it


def test_a_document_number_is_compared_by_issuing_country_and_ignoring_spacing():
    spaced = DOCUMENT.model_copy(update={"number": "xk 441-9027"})
    assert person_links(applicant(), spaced, HASHER)[0] == person_links(applicant(), DOCUMENT, HASHER)[0]
    other_country = DOCUMENT.model_copy(update={"issuing_country": "NOR"})
    assert person_links(applicant(), other_country, HASHER)[0] != person_links(applicant(), DOCUMENT, HASHER)[0]


def test_the_identity_folds_case_accents_and_spacing_but_not_the_birth_date():
    assert identity_of(applicant(family_name="LINDQVIST ", given_names="maren  élise"), HASHER) == \
        identity_of(applicant(), HASHER)
    assert identity_of(applicant(birth_date=date(1988, 4, 18)), HASHER) != identity_of(applicant(), HASHER)


def test_contact_reuse_names_the_attribute_and_the_other_sign_up():
    links = person_links(applicant(), DOCUMENT, HASHER)
    found = signals_of(links, entries("cp_other", [links[2]], "someone-else", NOW))[FraudSignal.CONTACT_REUSED]
    assert found.flagged and [(e.attribute, e.checkpoint_ids) for e in found.evidence] == [("phone", ("cp_other",))]


@pytest.mark.parametrize(("earlier", "flagged"), [(9, False), (10, True), (11, True)])  # 10, 11, 12 in all
def test_velocity_at_below_and_above_its_limit(earlier, flagged):
    limit = fraud_policy().velocity.limits["phone"].max_signups
    assert limit == 10
    links = person_links(applicant(), DOCUMENT, HASHER)
    before = [e for i in range(earlier)
              for e in entries(f"cp_{i}", [links[2]], "me", NOW - timedelta(minutes=i))]
    velocity = signals_of(links, before)[FraudSignal.VELOCITY_EXCEEDED]
    assert velocity.flagged is flagged
    if flagged:
        assert velocity.evidence[0].count == earlier + 1 and velocity.evidence[0].attribute == "phone"


def test_velocity_counts_only_the_window_before_the_sign_up():
    window = fraud_policy().velocity.window_minutes
    links = person_links(applicant(), DOCUMENT, HASHER)
    inside = [e for i in range(9) for e in entries(f"cp_{i}", [links[2]], "me", NOW - timedelta(minutes=window - 1))]
    edge = entries("cp_edge", [links[2]], "me", NOW - timedelta(minutes=window))  # on the boundary: counted
    outside = entries("cp_old", [links[2]], "me", NOW - timedelta(minutes=window, seconds=1))
    later = entries("cp_later", [links[2]], "me", NOW + timedelta(seconds=1))  # started after this one
    assert not signals_of(links, [*inside, *outside, *later])[FraudSignal.VELOCITY_EXCEEDED].flagged  # 10
    assert signals_of(links, [*inside, *edge])[FraudSignal.VELOCITY_EXCEEDED].flagged  # 11


def test_velocity_by_device_and_network_uses_the_channels_hashes():
    device, prefix = channel_hashes("device-1", "198.51.100.77", HASHER, 24, 48)
    assert channel_hashes("device-1", "198.51.100.3", HASHER, 24, 48) == (device, prefix)  # same /24
    assert channel_hashes("device-1", "198.51.101.3", HASHER, 24, 48)[1] != prefix
    assert network_prefix("2001:db8:abcd:12::1", 24, 48) == "2001:db8:abcd::/48"
    assert channel_hashes(None, None, HASHER, 24, 48) == (None, None)


def test_leaving_out_this_identitys_entries_where_velocity_does_not_count_changes_no_signal():
    """What the fraud step reads (the by-link query filtered by identity where the kind allows):
    the same signals as from every entry."""
    policy = fraud_policy()
    assert not any(counts_every_identity(kind, policy) for kind in (LinkKind.DOCUMENT, LinkKind.IMAGE_SHA256))
    assert all(counts_every_identity(kind, policy) for kind in (LinkKind.EMAIL, LinkKind.DEVICE))
    device, prefix = channel_hashes("device-1", "198.51.100.77", HASHER, 24, 48)
    links = [*person_links(applicant(), DOCUMENT, HASHER), *_image(0x0123_4567_89AB_CDEF),
             Link(kind=LinkKind.DEVICE, value=device), Link(kind=LinkKind.IP_PREFIX, value=prefix)]
    earlier = [e for i in range(12) for e in entries(f"cp_{i}", links, "me" if i % 3 else "someone-else",
                                                      NOW - timedelta(minutes=5 * i))]
    every = {link.key: [e for e in earlier if e.key == link.key] for link in links}
    filtered = {key: [e for e in found if counts_every_identity(e.kind, policy) or e.identity != "me"]
                for key, found in every.items()}
    assert sum(map(len, filtered.values())) < sum(map(len, every.values()))
    assert (graph_signals("cp_me", "me", NOW, links, filtered, policy)
            == graph_signals("cp_me", "me", NOW, links, every, policy))
    assert any(s.flagged for s in graph_signals("cp_me", "me", NOW, links, filtered, policy))


def _image(phash: int) -> list[Link]:
    return image_links("front", phash.to_bytes(8, "big"), phash, HASHER)


@pytest.mark.parametrize(("bits", "flagged"), [(0, True), (2, True), (3, False)])
def test_an_image_within_the_policys_distance_under_another_identity_is_reused(bits, flagged):
    assert fraud_policy().image_similarity.max_distance == 2
    mine = 0x0123_4567_89AB_CDEF
    near = mine ^ ((1 << bits) - 1) if bits else mine
    earlier = entries("cp_other", _image(near), "someone-else", NOW)
    reused = signals_of(_image(mine), earlier)[FraudSignal.DOCUMENT_IMAGE_REUSED]
    assert reused.flagged is flagged
    if flagged:
        assert reused.evidence[0].distance == bits and reused.evidence[0].attribute == "image:front"


@given(st.integers(min_value=0, max_value=2**64 - 1), st.sets(st.integers(min_value=0, max_value=63), max_size=3))
def test_any_two_hashes_within_three_bits_share_a_band_link(phash, flipped):
    other = phash
    for bit in flipped:
        other ^= 1 << bit
    bands = {link.key for link in _image(phash) if link.kind is LinkKind.IMAGE_PHASH}
    assert len(bands) == BANDS
    assert bands & {link.key for link in _image(other) if link.kind is LinkKind.IMAGE_PHASH}


def test_the_graph_holds_no_clear_value():
    links = [*person_links(applicant(), DOCUMENT, HASHER), *_image(12345)]
    text = " ".join(link.model_dump_json() for link in links)
    assert "XK4419027" not in text and "maren" not in text and "46701234567" not in text
    assert f"{12345:016x}" not in text  # the perceptual hash is masked


@pytest.mark.parametrize(("email", "code"), [("maren@mailinator.com", FraudSignal.EMAIL_DISPOSABLE),
                                             ("maren@eu.mailinator.com", FraudSignal.EMAIL_DISPOSABLE),
                                             ("maren@@example.org", FraudSignal.EMAIL_INVALID),
                                             ("maren@example", FraudSignal.EMAIL_INVALID)])
def test_email_signals(email, code):
    flagged = {s.code for s in contact_signals(applicant(email=email), _blocklist()) if s.flagged}
    assert code in flagged


def test_an_ordinary_address_and_number_raise_nothing():
    assert not [s for s in contact_signals(applicant(), _blocklist()) if s.flagged]


@pytest.mark.parametrize(("phone", "code", "field"), [("+4670123", FraudSignal.PHONE_INVALID, "applicant.phone"),
                                                      ("+4915112345678", FraudSignal.PHONE_COUNTRY_MISMATCH, None)])
def test_phone_signals(phone, code, field):
    [signal] = [s for s in contact_signals(applicant(phone=phone), _blocklist()) if s.flagged]
    assert signal.code is code and signal.check().field == field


def test_the_policy_sends_patterns_to_review_and_typing_errors_back_to_the_customer():
    checks = fraud_policy().checks
    assert {code for code, rule in checks.items() if rule.verdict == "review"} >= {
        "DOCUMENT_REUSED", "DOCUMENT_IMAGE_REUSED", "CONTACT_REUSED", "VELOCITY_EXCEEDED", "EMAIL_DISPOSABLE"}
    assert (checks["PHONE_INVALID"].verdict, checks["PHONE_INVALID"].field) == ("action", "applicant.phone")
    assert all(rule.source for rule in checks.values())


def _blocklist() -> set[str]:
    from disposable_email_domains import blocklist

    return blocklist
