"""Fraud signals (the third branch of RunChecks, over the identity graph in DynamoDB) and the
customer risk rating (RateRisk), through the API and the real onboarding state machine on moto.
What a reviewer sees is the review queue's explanation; the channel sees none of it."""
from __future__ import annotations

import io
import json
import random
import urllib.request

from PIL import Image

from chalicelib.stores import AWS
from tests.integration.conftest import applicant_body
from tests.integration.test_onboarding_workflow import start
from tests.integration.test_review_explanation import queued

WAITING = ("IN_REVIEW", "ACTION_REQUIRED")


def document_image(seed: int) -> bytes:
    """A JPEG photo-sized image of its own: random 8x8 blocks (so its perceptual hash is its own)."""
    rng = random.Random(seed)
    small = Image.new("L", (8, 8))
    small.putdata([rng.randrange(256) for _ in range(64)])
    out = io.BytesIO()
    small.resize((1000, 700), Image.Resampling.NEAREST).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def another_person(**overrides) -> dict:
    return applicant_body(**{"applicant.given_names": "Tove", "applicant.family_name": "Ekström",
                             "applicant.birth_date": "1979-11-02", **overrides})


def signals(http, checkpoint_id: str) -> dict[str, dict]:
    explanation = queued(http, checkpoint_id)["explanation"]
    return {s["code"]: s for e in explanation if e["step"] == "fraud" for s in e["signals"]}


def upload(http, checkpoint_id: str, side: str, content: bytes, content_type: str = "image/jpeg") -> None:
    response = http.post(f"/v1/checkpoints/{checkpoint_id}/documents",
                         {"side": side, "content_type": content_type, "size": len(content)}, key=False)
    assert response.status_code == 201, response.body
    upload_ = response.json_body["upload"]
    request = urllib.request.Request(upload_["url"], data=content, method=upload_["method"], headers=upload_["headers"])
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def sign_up_with_images(http, body: dict, images: dict[str, bytes], content_type: str = "image/jpeg") -> str:
    body["document"]["images"] = list(images)
    checkpoint_id = start(http, body)
    assert http.wait_final(checkpoint_id, settled=("AWAITING_DOCUMENTS",))["status"] == "AWAITING_DOCUMENTS"
    for side, content in images.items():
        upload(http, checkpoint_id, side, content, content_type)
    assert http.post(f"/v1/checkpoints/{checkpoint_id}/documents/complete", {}, key=False).status_code == 200
    return checkpoint_id


def test_one_passport_behind_two_names_goes_to_review_naming_the_first_sign_up(http):
    first = applicant_body()
    first_id = start(http, first)
    assert http.wait_final(first_id)["status"] == "APPROVED"
    second_id = start(http, another_person(**{"document.number": first["document"]["number"]}))
    final = http.wait_final(second_id)
    assert final["status"] == "IN_REVIEW"
    assert "DOCUMENT_REUSED" not in json.dumps(final)  # the channel is not told what was noticed
    reused = signals(http, second_id)["DOCUMENT_REUSED"]
    assert reused["verdict"] == "review" and reused["evidence"] == [{"attribute": "document",
                                                                     "checkpoint_ids": [first_id]}]
    assert first["document"]["number"] not in json.dumps(queued(http, second_id))


def test_the_same_document_image_under_another_identity_goes_to_review(http):
    front, back = document_image(1001), document_image(1002)
    first_id = sign_up_with_images(http, applicant_body(), {"front": front, "back": back})
    assert http.wait_final(first_id)["status"] == "APPROVED"
    again_id = sign_up_with_images(http, applicant_body(), {"front": front, "back": back})
    assert http.wait_final(again_id)["status"] == "APPROVED"  # the same person again is not flagged
    other_id = sign_up_with_images(http, another_person(), {"front": front, "back": document_image(1003)})
    assert http.wait_final(other_id)["status"] == "IN_REVIEW"
    [evidence] = signals(http, other_id)["DOCUMENT_IMAGE_REUSED"]["evidence"]
    assert evidence["attribute"] == "image:front" and evidence["distance"] == 0
    assert set(evidence["checkpoint_ids"]) == {first_id, again_id}


def test_a_text_file_sent_as_a_jpeg_asks_for_that_side_again(http):
    checkpoint_id = sign_up_with_images(http, applicant_body(), {"front": b"just some text, not a photo\n" * 40,
                                                                 "back": document_image(2002)})
    waiting = http.wait_final(checkpoint_id, settled=WAITING)
    assert waiting["status"] == "ACTION_REQUIRED", waiting
    assert [(a["field"], a["code"]) for a in waiting["actions"]] == [("document.images.front", "IMAGE_TYPE_MISMATCH")]
    upload(http, checkpoint_id, "front", document_image(2001))
    resumed = http.post(f"/v1/checkpoints/{checkpoint_id}/documents/complete", {}, key=False)
    assert resumed.status_code == 200 and resumed.json_body["status"] == "RUNNING"
    final = http.wait_final(checkpoint_id)
    assert final["status"] == "APPROVED", final
    assert final["corrections"][0]["fields"] == ["document.images.front"]


def test_the_eleventh_sign_up_from_one_phone_in_an_hour_trips_the_velocity_rule(http):
    phone = applicant_body()["applicant"]["phone"]
    ids = [start(http, applicant_body(**{"applicant.phone": phone})) for _ in range(10)]
    assert {http.wait_final(i)["status"] for i in ids} == {"APPROVED"}  # ten are within the limit
    eleventh = start(http, applicant_body(**{"applicant.phone": phone}))
    assert http.wait_final(eleventh)["status"] == "IN_REVIEW"
    velocity = signals(http, eleventh)["VELOCITY_EXCEEDED"]
    [evidence] = velocity["evidence"]
    assert evidence["attribute"] == "phone" and evidence["count"] == 11 and evidence["window_minutes"] == 60
    assert set(evidence["checkpoint_ids"]) == set(ids)


def test_a_disposable_mailbox_is_flagged_and_device_and_address_are_kept_only_hashed(http):
    body = applicant_body(**{"applicant.email": "tove.e@mailinator.com"})
    body["channel"] |= {"device_id": "android-9f3c2e1b-device-7731", "ip": "198.51.100.77"}
    checkpoint_id = start(http, body)
    assert http.wait_final(checkpoint_id)["status"] == "IN_REVIEW"
    assert signals(http, checkpoint_id)["EMAIL_DISPOSABLE"]["verdict"] == "review"
    links = AWS.identity_graph.of_checkpoint(checkpoint_id)
    assert {e.kind.value for e in links} >= {"document", "email", "phone", "device", "ip_prefix"}
    stored = json.dumps([e.model_dump(mode="json") for e in links])
    assert "android-9f3c2e1b" not in stored and "198.51.100" not in stored and "mailinator" not in stored


def test_an_applicant_of_a_call_for_action_country_is_rated_high_and_reviewed(http):
    high_id = start(http, applicant_body(**{"applicant.nationality": "IR"}))
    final = http.wait_final(high_id)
    assert final["status"] == "IN_REVIEW"
    assert "risk_rating" not in final and "RISK_HIGH" not in json.dumps(final)  # not for the channel
    [risk] = [e for e in queued(http, high_id)["explanation"] if e["step"] == "risk"]
    rating = risk["rating"]
    assert rating["level"] == "high"
    factors = {f["code"]: f for f in rating["factors"]}
    assert factors["COUNTRY_FATF_CALL_FOR_ACTION"]["detail"].startswith("nationality on FATF")
    assert all(f["source"] and isinstance(f["weight"], int) for f in rating["factors"])
    assert rating["lists"]["fatf_call_for_action"]
    compliance = http.get(f"/v1/checkpoints/{high_id}", role="compliance").json_body
    assert compliance["risk_rating"]["level"] == "high" and "RISK_HIGH" in json.dumps(compliance["steps"])

    low_id = start(http, applicant_body())
    assert http.wait_final(low_id)["status"] == "APPROVED"
    customer = AWS.customers.get(http.get(f"/v1/checkpoints/{low_id}").json_body["customer_id"])
    assert customer.risk_rating.level.value == "low"  # stored on the customer
