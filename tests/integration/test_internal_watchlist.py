"""The bank's internal watchlist on the embedded stack: publishing a version screens its entries
against every customer at once (a delta run through the monitoring workflow); the customers it
names get one explained alert each in the review queue; a cleared match stays cleared when the
entry is published again; a confirmed one freezes the customer, whose export is then refused."""
from __future__ import annotations

import time
import uuid
from datetime import date

from chalicelib.stores import AWS
from tests import pii
from tests.integration.test_monitoring_runs import _alerts, _finished
from tests.records import customer_record

# Six customers (invented names, as a migration would seed them) and what the watchlist says.
CUSTOMERS = [("Tamsin", "Okonkwo-Reyes", date(1979, 6, 14)), ("Leopold", "Wrzesniewski", date(1966, 2, 3)),
             ("Ingrid", "Falkenrath", date(1990, 11, 2)), ("Mateus", "Carvalhal", date(1983, 5, 30)),
             ("Yusuf", "Demirkaya", date(1972, 9, 9)), ("Agnieszka", "Pawlikowska", date(1995, 1, 17))]
NAMED = [
    {"entry_id": "IW-0001", "name": "Tamsin Okonkwo-Reyes", "birth_date": "1979-06-14", "reason": "first-party fraud"},
    {"entry_id": "IW-0002", "name": "Leopold Wrzesnievski", "birth_date": "1966", "nationality": "NOR",
     "reason": "refused by the MLRO"},  # misspelled, the birth year only
]
UNRELATED = [
    {"entry_id": "IW-0003", "name": "Bartholomew Quincey-Ashdown", "birth_date": "1950"},
    {"entry_id": "IW-0004", "name": "Xiomara Etxeberria Lizarraga", "aliases": ["Xiomara Etxeberria"]},
    {"entry_id": "IW-0005", "name": "Ragnhild Sorboe Tveitevoll", "nationality": "NOR"},
]


def _seed() -> list[str]:
    ids = []
    for given, family, birth in CUSTOMERS:
        customer_id = f"cus_{uuid.uuid4().hex}"
        pii.remember_person(given, family, birth.isoformat())
        AWS.customers.create_once(customer_record(customer_id, given=given, family=family, birth=birth))
        ids.append(customer_id)
    return ids


def _publish(http, body, content_type: str = "application/json") -> dict:
    published = http.post("/v1/lists/internal/versions", body, role="compliance", key=False,
                          headers={"Content-Type": content_type})
    assert published.status_code == 201, published.body
    run = _finished(http, published.json_body["monitoring_run_id"])
    assert (run["status"], run["mode"], run["list_source"]) == ("SUCCEEDED", "delta", "internal"), run
    assert run["customers_screened"] == run["customers_total"] >= len(CUSTOMERS)
    return {**published.json_body, "run": run}


def _open_alerts(http, customer_ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for alert in _alerts(http):
        if alert["customer_id"] in customer_ids and alert["awaiting_decision"]:
            assert alert["customer_id"] not in found, "two alerts for one customer"
            found[alert["customer_id"]] = alert
    return found


def test_a_watchlist_version_alerts_on_the_customers_it_names_and_remembers_what_was_decided(http):
    ids = _seed()
    tamsin, leopold = ids[0], ids[1]

    first = _publish(http, {"entries": NAMED + UNRELATED})
    assert (first["status"], first["entries"], first["diff"]["added"]) == ("published", 5, 5)
    assert first["run"]["alerts_opened"] == 2 and first["run"]["entries"] == 5
    deadline = time.monotonic() + 30
    while len(alerts := _open_alerts(http, ids)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert set(alerts) == {tamsin, leopold}
    for customer_id, entry in ((tamsin, "IW-0001"), (leopold, "IW-0002")):
        alert = alerts[customer_id]
        assert alert["kind"] == "monitoring"
        [match] = [m for e in alert["explanation"] for m in e["matches"]]
        assert (match["source"], match["source_id"], match["subject"]) == ("internal", entry, customer_id)
        assert match["band"] in ("review", "block") and match["rule"] and match["name_scores"]
    assert [m["birth_date"] for e in alerts[leopold]["explanation"] for m in e["matches"]] == ["year"]

    cleared = http.decide(alerts[leopold]["checkpoint_id"], "approve", "another person: a different place of birth")
    assert cleared.status_code == 200, cleared.body
    assert http.wait_final(alerts[leopold]["checkpoint_id"], settled=(), role="compliance")["status"] == "CLEARED"

    # The next version, as CSV: one more unrelated entry, and Leopold's entry with its reason reworded
    # (screened again, the same entry as listed): the clearance holds, no alert opens.
    reworded = [{**NAMED[1], "reason": "refused by the MLRO (2025 review)"} if e is NAMED[1] else e
                for e in NAMED + UNRELATED]
    more = [*reworded, {"entry_id": "IW-0006", "name": "Cosimo Brancaleoni-Varga", "birth_date": "1961-07"}]
    lines = ["entry_id,name,aliases,birth_date,nationality,reason"] + [
        ",".join([e["entry_id"], e["name"], ";".join(e.get("aliases", ())), e.get("birth_date", ""),
                  e.get("nationality", ""), e.get("reason", "")]) for e in more]
    second = _publish(http, "\r\n".join(lines) + "\r\n", "text/csv")
    assert (second["previous_version"], second["diff"]["added_ids"], second["diff"]["changed_ids"]) == \
        (first["version"], ["IW-0006"], ["IW-0002"])
    assert second["run"]["entries"] == 2 and second["run"]["alerts_opened"] == 0
    assert set(_open_alerts(http, ids)) == {tamsin}

    again = http.post("/v1/lists/internal/versions", "\r\n".join(lines) + "\r\n", role="compliance", key=False,
                      headers={"Content-Type": "text/csv"})
    assert again.status_code == 200 and again.json_body == {"status": "unchanged", "source": "internal",
                                                            "version": second["version"],
                                                            "monitoring_run_id": second["run"]["run_id"]}

    confirmed = http.decide(alerts[tamsin]["checkpoint_id"], "reject", "the same person: the fraud case's documents")
    assert confirmed.status_code == 200, confirmed.body
    assert http.wait_final(alerts[tamsin]["checkpoint_id"], settled=(), role="compliance")["status"] == "CONFIRMED"
    assert AWS.customers.get(tamsin).status == "frozen"
    case = AWS.checkpoints.get(alerts[tamsin]["checkpoint_id"]).report_case
    assert [r.authority for r in case.reports] == ["the bank's MLRO (internal)"]
    refused = http.post("/v1/exports", {"customer_id": tamsin, "include": ["profile"]}, role="compliance")
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "CUSTOMER_FROZEN", refused.body

    listed = {i["source"]: i for i in http.get("/v1/lists", role="compliance").json_body["items"]}
    assert (listed["internal"]["version"], listed["internal"]["entries"]) == (second["version"], 6)


def test_a_watchlist_body_it_cannot_take_is_a_400_naming_the_entry(http):
    bad = http.post("/v1/lists/internal/versions", "entry_id,name,birth_date\r\nIW-1,Ann Example,1971-13\r\n",
                    role="compliance", key=False, headers={"Content-Type": "text/csv"})
    assert bad.status_code == 400, bad.body
    assert bad.json_body["error"]["fields"][0]["field"] == "entries.0.birth_date"
    unsupported = http.post("/v1/lists/internal/versions", "x", role="compliance", key=False,
                            headers={"Content-Type": "text/plain"})
    assert unsupported.status_code == 415
    assert http.post("/v1/lists/internal/versions", {"entries": UNRELATED}, key=False).status_code == 403  # a channel
