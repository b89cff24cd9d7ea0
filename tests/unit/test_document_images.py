"""The document image checks (chalicelib/domain/identity/images.py): type by magic number, decoding
with Pillow, minimum dimensions and front/back distance from policies/onboarding.yaml at, below and
above their thresholds; the perceptual hash is imagehash's phash, bit for bit."""
from __future__ import annotations

import io
import random

import imagehash
import pytest
from PIL import Image

from chalicelib.domain.identity.images import ImageCheck, ImageLimits, UploadedImage, check_images, hamming, decode
from chalicelib.policies import onboarding_policy

RULES = onboarding_policy().document_images.checks
LIMITS = ImageLimits(min_width=RULES.min_width, min_height=RULES.min_height,
                     same_image_max_distance=RULES.same_image_max_distance)


def picture(seed: int, size=(1000, 700), kind="JPEG") -> bytes:
    rng = random.Random(seed)
    small = Image.new("L", (8, 8))
    small.putdata([rng.randrange(256) for _ in range(64)])
    out = io.BytesIO()
    small.resize(size, Image.Resampling.NEAREST).convert("RGB").save(out, kind)
    return out.getvalue()


def failed(images: dict[str, UploadedImage]) -> dict[str, tuple[str, str | None]]:
    checks, _ = check_images(images, LIMITS)
    return {c.code: (c.detail, c.field) for c in checks if not c.passed}


def jpeg(content: bytes) -> UploadedImage:
    return UploadedImage(content=content, declared_type="image/jpeg")


def test_two_good_photos_pass():
    assert failed({"front": jpeg(picture(1)), "back": jpeg(picture(2))}) == {}


@pytest.mark.parametrize(("content", "declared", "code"), [
    (b"just text\n" * 100, "image/jpeg", ImageCheck.IMAGE_TYPE_MISMATCH),
    (picture(1, kind="PNG"), "image/jpeg", ImageCheck.IMAGE_TYPE_MISMATCH),
    (picture(1)[:200], "image/jpeg", ImageCheck.IMAGE_UNREADABLE),  # the magic number, then nothing
    (b"%PDF-1.7\n...", "application/pdf", ImageCheck.IMAGE_UNREADABLE),
])
def test_an_image_that_is_not_what_it_says_names_its_side(content, declared, code):
    found = failed({"front": UploadedImage(content=content, declared_type=declared), "back": jpeg(picture(2))})
    assert list(found) == [code] and found[code][1] == "document.images.front"


@pytest.mark.parametrize(("size", "too_small"), [
    ((RULES.min_width, RULES.min_height), False),
    ((RULES.min_height, RULES.min_width), False),  # portrait: the longer side is the width rule's
    ((RULES.min_width - 1, RULES.min_height), True),
    ((RULES.min_width, RULES.min_height - 1), True),
    ((RULES.min_width + 1, RULES.min_height + 1), False),
])
def test_minimum_dimensions_at_below_and_above(size, too_small):
    found = failed({"front": jpeg(picture(1, size=size))})
    assert (ImageCheck.IMAGE_TOO_SMALL in found) is too_small


def test_the_back_that_is_the_front_again_is_named():
    front = picture(7)
    resized = io.BytesIO()
    Image.open(io.BytesIO(front)).resize((900, 630)).save(resized, "JPEG", quality=70)  # re-encoded copy
    found = failed({"front": jpeg(front), "back": jpeg(resized.getvalue())})
    assert found[ImageCheck.IMAGE_SIDES_IDENTICAL][1] == "document.images.back"


@pytest.mark.parametrize(("extra", "same"), [(0, True), (-1, False), (1, True)])
def test_sides_identical_at_below_and_above_the_policys_distance(extra, same, monkeypatch):
    front, back = picture(11), picture(12)
    distance = hamming(decode(front).phash, decode(back).phash)
    limits = LIMITS.model_copy(update={"same_image_max_distance": distance + extra})
    checks, _ = check_images({"front": jpeg(front), "back": jpeg(back)}, limits)
    [sides] = [c for c in checks if c.code == ImageCheck.IMAGE_SIDES_IDENTICAL]
    assert sides.passed is not same


@pytest.mark.parametrize("seed", range(6))
def test_the_perceptual_hash_is_imagehashs_phash(seed):
    content = picture(seed) if seed % 2 else picture(seed, size=(800, 1200))
    expected = int(str(imagehash.phash(Image.open(io.BytesIO(content)))), 16)
    assert decode(content).phash == expected


def test_the_sample_images_pass():
    from tests.conftest import ROOT

    folder = ROOT / "data" / "samples" / "images"
    front, back = (folder / "passport-front.jpg").read_bytes(), (folder / "passport-back.jpg").read_bytes()
    assert failed({"front": jpeg(front), "back": jpeg(back)}) == {}
