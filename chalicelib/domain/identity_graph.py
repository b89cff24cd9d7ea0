"""The identity graph: what each sign-up used, as links from its checkpoint to keyed hashes of
its document number, e-mail address, phone number, device id, network prefix and document images.
Pure: the key comes in (chalicelib/stores/hash_key.py derives it in KMS), links come out.

Nothing in the graph is a clear value. A link is `<kind>#<HMAC-SHA-256 of the normalised value>`
(128 bits, hex), so two sign-ups with the same passport meet at one link and nobody who reads the
table learns the number. The perceptual hash of an image cannot be hashed that way (similar images
must stay comparable): it is masked with a keyed 64-bit pad (XOR keeps the Hamming distance between
two masked hashes, and hides the hash itself) and indexed by its four 16-bit bands, so any image
within 3 bits of another shares at least one band link with it. The identity of the applicant
(name and birth date, normalised) is stored beside each link as a keyed hash too: it is what tells
"another identity" from "the same person again"."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import unicodedata
from enum import StrEnum

from anyascii import anyascii

from chalicelib.domain.identity.images import HASH_BITS
from chalicelib.domain.models import Applicant, Frozen, IdentityDocument

BANDS = 4
BAND_BITS = HASH_BITS // BANDS
_DIGEST_CHARS = 32  # 128 bits of the HMAC
_LETTERS = re.compile(r"[^a-z0-9]+")


class LinkKind(StrEnum):
    DOCUMENT = "document"
    EMAIL = "email"
    PHONE = "phone"
    DEVICE = "device"
    IP_PREFIX = "ip_prefix"
    IMAGE_SHA256 = "image_sha256"
    IMAGE_PHASH = "image_phash"  # one link per 16-bit band of the masked perceptual hash


# What only places a sign-up in time and on a network (kept as device data, erased when the
# relationship ends); the rest identifies the person (kept as their CDD records are).
DEVICE_KINDS = frozenset({LinkKind.DEVICE, LinkKind.IP_PREFIX})


class Link(Frozen):
    kind: LinkKind
    value: str  # keyed hash (hex); for an image_phash link "<band>:<band bits, hex>" of the masked hash
    side: str | None = None  # an image link: the side (front, back)
    phash: str | None = None  # an image_phash link: the whole masked hash (hex), to measure the distance

    @property
    def key(self) -> str:
        return f"{self.kind.value}#{self.value}"


class GraphEntry(Frozen):
    """A link as stored: which checkpoint made it, whose identity, when the sign-up started."""

    checkpoint_id: str
    identity: str
    kind: LinkKind
    value: str
    at: str  # the sign-up's creation (a correction keeps it)
    side: str | None = None
    phash: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind.value}#{self.value}"


class Hasher:
    """Keyed hashes under one secret key (never stored, never logged)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the identity-graph key must have at least 256 bits")
        self._key = key
        self._pad = int.from_bytes(self._mac(b"phash-pad")[:HASH_BITS // 8], "big")

    def _mac(self, message: bytes) -> bytes:
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def digest(self, kind: str, value: str) -> str:
        return self._mac(f"{kind}\x1f{value}".encode()).hex()[:_DIGEST_CHARS]

    def mask(self, phash: int) -> int:
        return phash ^ self._pad


def _folded(text: str) -> str:
    return " ".join(_LETTERS.sub(" ", anyascii(unicodedata.normalize("NFKC", text)).casefold()).split())


def identity_of(applicant: Applicant, hasher: Hasher) -> str:
    """Who applied, as the graph compares them: family name, given names and birth date, folded
    (case, accents, punctuation, spacing), as one keyed hash."""
    return hasher.digest("identity", f"{_folded(applicant.family_name)}|{_folded(applicant.given_names)}|"
                                     f"{applicant.birth_date.isoformat()}")


def network_prefix(ip: str, ipv4_bits: int, ipv6_bits: int) -> str:
    """The network an address is in (a /24 or /48 by default): what velocity counts, and all the
    product keeps of an address (as a keyed hash)."""
    address = ipaddress.ip_address(ip)
    bits = ipv4_bits if address.version == 4 else ipv6_bits
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def channel_hashes(device_id: str | None, ip: str | None, hasher: Hasher, ipv4_bits: int, ipv6_bits: int
                   ) -> tuple[str | None, str | None]:
    """The keyed hashes of the device id and of the IP address's network prefix (the clear values
    go no further than this function)."""
    device = hasher.digest(LinkKind.DEVICE, device_id.strip()) if device_id else None
    prefix = hasher.digest(LinkKind.IP_PREFIX, network_prefix(ip, ipv4_bits, ipv6_bits)) if ip else None
    return device, prefix


def person_links(applicant: Applicant, document: IdentityDocument, hasher: Hasher) -> list[Link]:
    number = re.sub(r"[^A-Z0-9]", "", document.number.upper())
    return [
        Link(kind=LinkKind.DOCUMENT, value=hasher.digest(LinkKind.DOCUMENT, f"{document.issuing_country.upper()}|{number}")),
        Link(kind=LinkKind.EMAIL, value=hasher.digest(LinkKind.EMAIL, applicant.email.strip().casefold())),
        Link(kind=LinkKind.PHONE, value=hasher.digest(LinkKind.PHONE, applicant.phone)),
    ]


def image_links(side: str, content: bytes, phash: int | None, hasher: Hasher) -> list[Link]:
    links = [Link(kind=LinkKind.IMAGE_SHA256, side=side,
                  value=hasher.digest(LinkKind.IMAGE_SHA256, hashlib.sha256(content).hexdigest()))]
    if phash is not None:
        masked = hasher.mask(phash)
        whole = f"{masked:0{HASH_BITS // 4}x}"
        for band in range(BANDS):
            bits = (masked >> (BAND_BITS * (BANDS - 1 - band))) & ((1 << BAND_BITS) - 1)
            links.append(Link(kind=LinkKind.IMAGE_PHASH, side=side, value=f"{band}:{bits:0{BAND_BITS // 4}x}",
                              phash=whole))
    return links


def device_links(device: str | None, ip_prefix: str | None) -> list[Link]:
    """The links of the channel's (already hashed) device id and network prefix."""
    return [Link(kind=kind, value=value) for kind, value in ((LinkKind.DEVICE, device), (LinkKind.IP_PREFIX, ip_prefix))
            if value]
