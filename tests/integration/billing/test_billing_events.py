"""Events in, invoices out: every fee of every year exact, members versus affiliates, the register fee once
a year while certified, redeliveries, and withdrawals cancelling with a credit note."""
from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

import pytest

from recert_billing.worker import schedules

KINDS = ("recertification", "reassessment", "register_fee", "affiliate_number")


def framework_fees() -> dict[int, dict]:
    """The fee tables of the packaged framework files, read as plain JSON (not through the rules code)."""
    folder = resources.files("recert_common.rules") / "frameworks"
    raw = [json.loads(f.read_text()) for f in folder.iterdir() if f.name.endswith(".json")]
    return {r["year"]: r["fees"] for r in raw}


FEES = framework_fees()


def expected_amounts(year: int, kind: str) -> dict[str, str]:
    fees = FEES[max(y for y in FEES if y <= year)]
    net = Decimal(fees["items"][kind]["net"])
    vat = (net * Decimal(fees["vat_rate"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"net": f"{net:.2f}", "vat": f"{vat:.2f}", "gross": f"{net + vat:.2f}",
            "issuer": {"dnv": "DNV", "noloc": "Noloc"}[fees["items"][kind]["issuer"]]}


@pytest.mark.parametrize("year", [*sorted(FEES), max(FEES) + 2])
def test_every_fee_of_every_year_in_the_schedule_is_invoiced_exactly(billing, year):
    billing.clock.day = date(year, 3, 10)
    coach = billing.coach("affiliate")  # the affiliate-number fee
    billing.certificate(coach)  # the register fee
    submission_id, _ = billing.submitted(coach)  # the recertification fee
    billing.supplement(coach, submission_id)  # the reassessment fee

    invoices = {r["kind"]: r for r in billing.invoices(coach.account_id)}
    assert sorted(invoices) == sorted(KINDS)
    for kind, row in invoices.items():
        want = expected_amounts(year, kind)
        body = billing.invoice_body(coach, row["id"])
        assert (body["net"]["amount"], body["vat"]["amount"], body["gross"]["amount"]) == \
            (want["net"], want["vat"], want["gross"]), (kind, year)
        assert {body["net"]["currency"], body["vat"]["currency"], body["gross"]["currency"]} == {"EUR"}
        assert body["vat_rate"] == "21" and body["issuer"] == want["issuer"]
        assert body["issued_on"] == f"{year}-03-10" and body["due_on"] == f"{year}-04-09"
        assert body["number"].startswith(f"{want['issuer']}-{year}-")
        assert [(line["net"]["amount"], line["gross"]["amount"]) for line in body["lines"]] == \
            [(want["net"], want["gross"])]
        # The database keeps exact decimals, and the event carries the same strings.
        assert (row["net"], row["vat"], row["gross"]) == \
            tuple(Decimal(want[k]) for k in ("net", "vat", "gross"))
        [issued] = [e for e in billing.outbox("billing.invoice.issued", subject=coach.account_id)
                    if e["data"]["invoice_id"] == str(row["id"])]
        assert issued["data"]["gross"] == {"amount": want["gross"], "currency": "EUR"}
        assert issued["data"]["vat_rate"] == "21" and issued["data"]["due_on"] == f"{year}-04-09"
    assert invoices["register_fee"]["period_year"] == year
    assert invoices["reassessment"]["case_id"] is not None


def test_a_member_pays_dnv_but_never_noloc_fees(billing):
    coach = billing.coach("member")
    billing.certificate(coach)
    billing.submitted(coach)
    billing.service.issue_register_fees()
    billing.clock.day = date(billing.clock.day.year + 1, 1, 2)
    billing.service.issue_register_fees()
    assert billing.kinds(coach.account_id) == [("recertification", None)]
    [invoice] = billing.invoices(coach.account_id)
    assert invoice["issuer"] == "DNV" and invoice["recipient_name"] == coach.name
    assert invoice["recipient_number"] == coach.number


def test_an_affiliate_pays_the_register_fee_once_a_year_while_certified(billing):
    year = billing.clock.day.year
    coach = billing.coach("affiliate")
    assert billing.kinds(coach.account_id) == [("affiliate_number", None)]
    certificate_id = billing.certificate(coach)
    # The same certificate again, a renewal and the worker's schedule in the same year: nothing new.
    billing.certificate(coach, certificate_id=certificate_id)
    billing.certificate(coach, "renewed", certificate_id=certificate_id)
    [schedule] = schedules(billing.settings, billing.db, today=billing.clock)
    schedule.job(billing.db)
    billing.account_event(coach, "identity.account.updated", changed=["full_name"])
    assert billing.kinds(coach.account_id) == [("affiliate_number", None), ("register_fee", year)]

    billing.clock.day = date(year + 1, 1, 1)  # the next year: the schedule invoices it, once
    schedule.job(billing.db)
    schedule.job(billing.db)
    assert billing.kinds(coach.account_id)[-1] == ("register_fee", year + 1)
    assert len(billing.kinds(coach.account_id)) == 3

    billing.certificate(coach, "lapsed", certificate_id=certificate_id)
    billing.clock.day = date(year + 2, 1, 1)  # lapsed: no fee for this year
    schedule.job(billing.db)
    assert len(billing.kinds(coach.account_id)) == 3

    billing.clock.day = date(year + 2, 5, 1)  # reactivated: the fee of this year, then the schedule again
    billing.certificate(coach, "reactivated", certificate_id=certificate_id)
    schedule.job(billing.db)
    assert billing.kinds(coach.account_id) == [
        ("affiliate_number", None), ("register_fee", year), ("register_fee", year + 1),
        ("register_fee", year + 2)]
    numbers = [r["number"] for r in billing.invoices(coach.account_id)]
    assert all(n.startswith("Noloc-") for n in numbers)
    assert [r["year"] for r in billing.invoices(coach.account_id)] == [year, year, year + 1, year + 2]


def test_a_certificate_of_an_account_not_known_yet_is_invoiced_when_the_account_arrives(billing):
    coach = billing.coach("affiliate", register=False)
    billing.certificate(coach)
    assert billing.invoices(coach.account_id) == []
    billing.account_event(coach)
    assert sorted(billing.kinds(coach.account_id)) == [("affiliate_number", None),
                                                       ("register_fee", billing.clock.day.year)]
    assert {r["recipient_name"] for r in billing.invoices(coach.account_id)} == {coach.name}


def test_a_member_who_becomes_an_affiliate_pays_from_then_on(billing):
    coach = billing.coach("member")
    billing.certificate(coach)
    assert billing.invoices(coach.account_id) == []
    coach.kind, coach.number = "affiliate", f"EXT-{uuid.uuid4().int % 1_000_000:06d}"
    billing.account_event(coach, "identity.account.updated")
    assert sorted(billing.kinds(coach.account_id)) == [("affiliate_number", None),
                                                       ("register_fee", billing.clock.day.year)]


def test_a_staff_account_is_never_invoiced_noloc_fees(billing):
    coach = billing.coach("member")
    coach.kind, coach.number = None, None
    billing.account_event(coach, roles=["dnv_officer"])
    assert billing.invoices(coach.account_id) == []


def test_a_redelivered_submission_issues_one_invoice_and_a_supplement_one_more(billing):
    coach = billing.coach()
    submission_id, event = billing.submitted(coach)
    billing.publish_raw(event.to_json(), "portfolio.submitted")  # the very same envelope again
    billing.submitted(coach, submission_id=submission_id)  # the same submission in a new envelope
    supplement_id, _, supplement = billing.supplement(coach, submission_id)
    billing.supplement(coach, submission_id, supplement_id=supplement_id)
    billing.publish_raw(supplement.to_json(), "portfolio.supplement.submitted")
    marker, _ = billing.submitted(billing.coach())
    assert billing.scalar("SELECT count(*) FROM invoices WHERE submission_id = %s", marker) == 1
    assert billing.kinds(coach.account_id) == [("recertification", None), ("reassessment", None)]
    assert len(billing.outbox("billing.invoice.issued", subject=coach.account_id)) == 2


def test_a_withdrawn_portfolio_cancels_its_open_invoice_with_a_credit_note(billing):
    coach = billing.coach()
    submission_id, _ = billing.submitted(coach)
    [invoice] = billing.invoices(coach.account_id)
    billing.withdrawn(coach, submission_id)

    body = billing.invoice_body(coach, invoice["id"])
    assert body["state"] == "cancelled" and body["cancelled_at"]
    note = body["credit_note"]
    year = billing.clock.day.year
    assert note["number"].startswith(f"DNV-C-{year}-") and note["refund_due"] is False
    assert (note["net"]["amount"], note["vat"]["amount"], note["gross"]["amount"]) == \
        ("-200.00", "-42.00", "-242.00")
    [cancelled] = billing.outbox("billing.invoice.cancelled", subject=coach.account_id)
    assert cancelled["data"]["invoice_id"] == str(invoice["id"])
    assert cancelled["data"]["number"] == invoice["number"]
    assert cancelled["data"]["credit_note_number"] == note["number"]
    assert cancelled["data"]["submission_id"] == str(submission_id) and cancelled["data"]["reason"]

    # Withdrawn again (a redelivery): still one credit note. Resubmitted: a new invoice.
    billing.withdrawn(coach, submission_id)
    assert billing.scalar("SELECT count(*) FROM credit_notes WHERE invoice_id = %s", invoice["id"]) == 1
    billing.submitted(coach)
    assert [r["state"] for r in billing.invoices(coach.account_id)] == ["cancelled", "open"]


def test_a_withdrawn_paid_invoice_is_credited_with_a_refund_due(billing):
    coach = billing.coach()
    submission_id, _ = billing.submitted(coach)
    [invoice] = billing.invoices(coach.account_id)
    paid = billing.webhook(billing.payment(billing.invoice_body(coach, invoice["id"])))
    assert paid.status_code == 200
    billing.withdrawn(coach, submission_id)
    body = billing.invoice_body(coach, invoice["id"])
    assert body["state"] == "cancelled" and body["paid_at"] is not None
    assert body["credit_note"]["refund_due"] is True
    assert "terugbetaald" in billing.outbox("billing.invoice.cancelled", subject=coach.account_id)[0]["data"][
        "reason"]


def test_a_withdrawal_handled_before_its_submission_leaves_it_uninvoiced(billing):
    coach = billing.coach()
    submission_id = uuid.uuid4()
    billing.withdrawn(coach, submission_id)
    billing.submitted(coach, submission_id=submission_id)
    assert billing.invoices(coach.account_id) == []
    assert billing.outbox("billing.invoice.cancelled", subject=coach.account_id) == []
