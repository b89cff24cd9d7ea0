"""Logs show requests only masked: personal fields erased, identifiers and codes kept."""
import json

from chalicelib.log_masking import masked


def test_every_personal_field_of_a_sign_up_and_a_closure_is_erased():
    request = {
        "applicant": {"given_names": "Maren Elise", "family_name": "Lindqvist", "birth_date": "1988-04-17",
                      "nationality": "SE", "email": "maren@example.org", "phone": "+46701234567",
                      "address": {"line1": "Storgatan 12", "city": "Uppsala", "postal_code": "753 20", "country": "SE"}},
        "document": {"type": "passport", "number": "XK4419027", "issuing_country": "SWE",
                     "mrz": ["P<SWELINDQVIST<<MAREN<ELISE<<<<<<<<<<<<<<<<<", "XK44190277SWE8804177F3001019<<<<<<<<<<<<<<00"]},
        "customer_id": "cus_0123", "reason": "relocation", "reason_detail": "moving to Maren's sister",
        "recent_transactions": [{"transaction_id": "t1", "amount": "10.00",
                                 "counterparty": {"name": "Olof Lindqvist", "iban": "SE4550000000058398257466"}}],
        "linked_services": [{"type": "salary", "counterparty": "Uppsala Kommun", "reference": "SAL-1"}],
    }
    shown = json.dumps(masked(request))
    for value in ("Maren", "Lindqvist", "1988-04-17", "maren@example.org", "+46701234567", "Storgatan", "Uppsala",
                  "753 20", "XK4419027", "P<SWE", "SE4550000000058398257466", "SAL-1"):
        assert value not in shown, value
    for kept in ("cus_0123", "relocation", "passport", "t1", "10.00", "salary"):
        assert kept in shown, kept
    assert request["applicant"]["family_name"] == "Lindqvist"  # the caller's data is not touched


def test_non_objects_are_masked_whole():
    assert masked("Maren Lindqvist") == "*****"
    assert masked(None) is None
