"""Checks on the document images a customer uploads, and their perceptual hash. Pure: bytes in,
results out (Pillow decodes; nothing is written, nothing is fetched).

Each image is checked for what a vendor's verification would need before it looks at the content:
its bytes are of the type it was declared as (magic numbers), it decodes, it is large enough to
read, and the back of the document is not the front again. A failed check names the side, so the
customer is asked to upload that side again (ACTION_REQUIRED) rather than to start over.

The perceptual hash is imagehash's `phash` (64 bits: the signs of the 8x8 lowest frequencies of the
DCT of a 32x32 greyscale thumbnail against their median), computed here in pure Python over Pillow:
imagehash itself needs SciPy and NumPy (~170 MB installed), which do not fit the Lambda package. A
test checks that both give the same hash.
"""
from __future__ import annotations

import io
import math
from collections.abc import Mapping
from enum import StrEnum
from functools import cache

from chalicelib.domain.models import CheckResult, Frozen

HASH_SIDE = 8  # the hash is HASH_SIDE x HASH_SIDE bits
_THUMBNAIL = HASH_SIDE * 4  # imagehash's highfreq_factor 4
HASH_BITS = HASH_SIDE * HASH_SIDE
MAX_PIXELS = 40_000_000  # a larger image is a decompression bomb, not a phone photo of a card
DOCUMENT_SIDES = ("front", "back")


class ImageCheck(StrEnum):
    IMAGE_TYPE_MISMATCH = "IMAGE_TYPE_MISMATCH"
    IMAGE_UNREADABLE = "IMAGE_UNREADABLE"
    IMAGE_TOO_SMALL = "IMAGE_TOO_SMALL"
    IMAGE_SIDES_IDENTICAL = "IMAGE_SIDES_IDENTICAL"


# What the first bytes of each accepted upload type are (the declared type is the upload's
# Content-Type, signed into its presigned PUT).
_MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "application/pdf": (b"%PDF-",)}
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}


class UploadedImage(Frozen):
    """An uploaded image as the checks see it: its bytes and the type it was declared as."""

    content: bytes
    declared_type: str


class ImageLimits(Frozen):
    min_width: int
    min_height: int
    same_image_max_distance: int


class DecodedImage(Frozen):
    width: int
    height: int
    phash: int


def sniffed_type(content: bytes) -> str | None:
    """The upload type the bytes' magic number says, or None."""
    return next((media for media, magics in _MAGIC.items() if content.startswith(magics)), None)


def decode(content: bytes) -> DecodedImage | None:
    """Dimensions and perceptual hash of an image Pillow can fully decode; None for anything else
    (truncated, corrupt, not an image, a decompression bomb)."""
    from PIL import Image  # imported when an image is checked: the other functions never pay for it

    try:
        with Image.open(io.BytesIO(content)) as probe:
            probe.verify()  # structure and checksums, without decoding
        with Image.open(io.BytesIO(content)) as image:
            if image.width * image.height > MAX_PIXELS:
                return None
            image.load()
            return DecodedImage(width=image.width, height=image.height, phash=_phash(image))
    except Exception:  # noqa: BLE001 (Pillow raises many kinds for bad input; every one means unreadable)
        return None


def perceptual_hash(content: bytes) -> int | None:
    decoded = decode(content)
    return decoded.phash if decoded else None


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


@cache
def _cosines() -> tuple[tuple[float, ...], ...]:
    """cos(pi k (2n + 1) / 2N) for the HASH_SIDE lowest frequencies k of an N-point DCT-II."""
    n = _THUMBNAIL
    return tuple(tuple(math.cos(math.pi * k * (2 * i + 1) / (2 * n)) for i in range(n)) for k in range(HASH_SIDE))


def _phash(image) -> int:
    """imagehash.phash: greyscale 32x32 (Lanczos), DCT-II along columns then rows (SciPy's
    unnormalised `fftpack.dct`: 2 * sum), the 8x8 lowest frequencies above their median, row by row
    from the most significant bit."""
    from PIL import Image

    small = image.convert("L").resize((_THUMBNAIL, _THUMBNAIL), Image.Resampling.LANCZOS)
    pixels = list(small.get_flattened_data())
    rows = [pixels[r * _THUMBNAIL:(r + 1) * _THUMBNAIL] for r in range(_THUMBNAIL)]
    cos = _cosines()
    # along axis 0 (down each column), only the frequencies kept
    columns = [[2 * sum(rows[i][c] * cos[k][i] for i in range(_THUMBNAIL)) for c in range(_THUMBNAIL)]
               for k in range(HASH_SIDE)]
    low = [2 * sum(columns[k1][c] * cos[k2][c] for c in range(_THUMBNAIL))
           for k1 in range(HASH_SIDE) for k2 in range(HASH_SIDE)]
    ordered = sorted(low)
    median = (ordered[HASH_BITS // 2 - 1] + ordered[HASH_BITS // 2]) / 2
    value = 0
    for coefficient in low:
        value = (value << 1) | (coefficient > median)
    return value


def check_images(images: Mapping[str, UploadedImage], limits: ImageLimits
                 ) -> tuple[list[CheckResult], dict[str, DecodedImage]]:
    """The image checks, each failure naming its side (`document.images.<side>`), and what was
    decoded of each readable image."""
    checks: list[CheckResult] = []
    decoded: dict[str, DecodedImage] = {}
    for side in sorted(images):
        image, field = images[side], f"document.images.{side}"
        sniffed = sniffed_type(image.content)
        if sniffed != image.declared_type:
            found = f"the bytes are {sniffed}" if sniffed else "the bytes are of no accepted type"
            checks.append(CheckResult(code=ImageCheck.IMAGE_TYPE_MISMATCH, passed=False, field=field,
                                      detail=f"{side}: declared {image.declared_type}, but {found}"))
            continue
        if image.declared_type not in _PILLOW_FORMATS:
            checks.append(CheckResult(code=ImageCheck.IMAGE_UNREADABLE, passed=False, field=field,
                                      detail=f"{side}: a {image.declared_type} is not a photo of the document"))
            continue
        result = decode(image.content)
        if result is None:
            checks.append(CheckResult(code=ImageCheck.IMAGE_UNREADABLE, passed=False, field=field,
                                      detail=f"{side}: the image does not decode"))
            continue
        decoded[side] = result
        longer, shorter = max(result.width, result.height), min(result.width, result.height)
        large_enough = longer >= limits.min_width and shorter >= limits.min_height
        checks.append(CheckResult(
            code=ImageCheck.IMAGE_TOO_SMALL, passed=large_enough, field=None if large_enough else field,
            detail=f"{side}: {result.width}x{result.height} pixels" + (
                "" if large_enough else f", at least {limits.min_width}x{limits.min_height} needed")))
    if all(side in decoded for side in DOCUMENT_SIDES):
        distance = hamming(decoded["front"].phash, decoded["back"].phash)
        same = distance <= limits.same_image_max_distance
        checks.append(CheckResult(code=ImageCheck.IMAGE_SIDES_IDENTICAL, passed=not same,
                                  field="document.images.back" if same else None,
                                  detail=f"front and back differ by {distance} of {HASH_BITS} bits"))
    return checks, decoded
