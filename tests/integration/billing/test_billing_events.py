"""Events in, invoices out: every fee of every year exact, members versus affiliates, no fee on
registration, the register fee once per certificate year while certified (ADR 0013), redeliveries, and
withdrawals cancelling with a credit note."""
from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

import pytest

from recert_billing.worker import schedules

KINDS = ("recertification", "reassessment", "register_fee")


def framework_fees() -> dict[int, dict]:
    """The fee tables of the packaged framework files, read as plain JSON (not through the rules code)."""
    folder = resources.files("recert_common.rules") / "frameworks"
    raw = [json.loads(f.read_text()) for f in folder.iterdir() if f.name.endswith(".json")]
    return {r["year"]: r["fees"] for r in raw}


FEES = framework_fees()


def register_fee_schedule(billing):
    """The worker's register-fee schedule on the harness's day (the settings' fixed "today")."""
    settings = dataclasses.replace(billing.settings, today=billing.clock.day.isoformat())
    [schedule] = schedules(settings, billing.db)
    return schedule


def expected_amounts(year: int, kind: str) -> dict[str, str]:
    fees = FEES[max(y for y in FEES if y <= year)]
    net = Decimal(fees["items"][kind]["net"])
    vat = (net * Decimal(fees["vat_rate"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"net": f"{net:.2f}", "vat": f"{vat:.2f}", "gross": f"{net + vat:.2f}",
            "issuer": {"dnv": "DNV", "noloc": "Noloc"}[fees["items"][kind]["issuer"]]}


@pytest.mark.parametrize("year", [*sorted(FEES), max(FEES) + 2])
def test_every_fee_of_every_year_in_the_schedule_is_invoiced_exactly(billing, year):
    billing.clock.day = date(year, 3, 10)
    coach = billing.coach("affiliate")  # nothing: no affiliate-number fee
    billing.certificate(coach)  # the register fee of the certificate year starting today
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


def test_registering_charges_nothing_neither_to_an_affiliate_nor_to_a_member(billing):
    """The affiliate number comes from Noloc's secretariat before anyone registers here (ADR 0013)."""
    affiliate, member = billing.coach("affiliate"), billing.coach("member")
    billing.account_event(affiliate, "identity.account.updated", changed=["full_name"])
    assert billing.invoices(affiliate.account_id) == [] and billing.invoices(member.account_id) == []
    assert billing.scalar("SELECT count(*) FROM invoices WHERE kind = 'affiliate_number'") == 0


def test_an_affiliate_pays_the_register_fee_once_per_certificate_year_while_certified(billing):
    billing.clock.day = date(2025, 1, 10)  # the certificate is loaded
    coach = billing.coach("affiliate")
    certificate_id = billing.certificate(coach, valid_from=date(2024, 9, 1))
    first = (date(2024, 9, 1), date(2025, 8, 31))
    assert billing.periods(coach.account_id) == [first]
    [row] = billing.invoices(coach.account_id)
    assert (row["net"], row["period_year"], row["issued_on"]) == (Decimal("212.50"), 2024, date(2025, 1, 10))
    assert row["number"].startswith("Noloc-2025-")
    [issued] = [e for e in billing.outbox("billing.invoice.issued", subject=coach.account_id)]
    assert (issued["data"]["period_start"], issued["data"]["period_end"]) == ("2024-09-01", "2025-08-31")

    # The same certificate again, an account update and the schedule within the year: nothing new.
    billing.certificate(coach, certificate_id=certificate_id, valid_from=date(2024, 9, 1))
    billing.account_event(coach, "identity.account.updated", changed=["full_name"])
    billing.clock.day = date(2025, 8, 31)
    register_fee_schedule(billing).job(billing.db)
    assert billing.periods(coach.account_id) == [first]

    billing.clock.day = date(2025, 9, 1)  # the next certificate year starts: invoiced once
    schedule = register_fee_schedule(billing)
    schedule.job(billing.db)
    schedule.job(billing.db)
    second = (date(2025, 9, 1), date(2026, 8, 31))
    assert billing.periods(coach.account_id) == [first, second]

    billing.certificate(coach, "lapsed", certificate_id=certificate_id)
    billing.clock.day = date(2026, 9, 1)  # lapsed: no fee for this certificate year
    register_fee_schedule(billing).job(billing.db)
    assert billing.periods(coach.account_id) == [first, second]


def test_a_certificate_year_starting_on_28_february_after_a_leap_day_start_is_invoiced_on_its_first_day(
        billing):
    """ADR 0013: 29 February counts as 28 February in other years, and each year is invoiced on its first
    day. The schedule's candidates once looked for an invoice started less than a calendar year ago, which
    2024-02-29 still was on 2025-02-28 (one interval year back is 2024-02-28): the year came a day late."""
    billing.clock.day = date(2024, 3, 10)
    coach = billing.coach("affiliate")
    billing.certificate(coach, valid_from=date(2024, 2, 29))
    first = (date(2024, 2, 29), date(2025, 2, 27))
    assert billing.periods(coach.account_id) == [first]

    billing.clock.day = date(2025, 2, 27)  # the first year's last day: nothing yet
    register_fee_schedule(billing).job(billing.db)
    assert billing.periods(coach.account_id) == [first]
    billing.clock.day = date(2025, 2, 28)  # the second year's first day
    register_fee_schedule(billing).job(billing.db)
    second = (date(2025, 2, 28), date(2026, 2, 27))
    assert billing.periods(coach.account_id) == [first, second]
    billing.clock.day = date(2025, 3, 1)
    register_fee_schedule(billing).job(billing.db)
    assert billing.periods(coach.account_id) == [first, second]


def test_two_workers_invoice_a_certificate_year_once(billing):
    billing.clock.day = date(2025, 1, 10)
    coaches = [billing.coach("affiliate") for _ in range(6)]
    for coach in coaches:
        billing.certificate(coach, valid_from=date(2024, 9, 1))
    billing.clock.day = date(2025, 9, 2)  # the schedule had not run on the first day
    workers = [register_fee_schedule(billing) for _ in range(2)]
    barrier = threading.Barrier(len(workers))

    def run(schedule):
        barrier.wait(10)
        schedule.job(billing.db)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for coach in coaches:
        assert billing.periods(coach.account_id) == [(date(2024, 9, 1), date(2025, 8, 31)),
                                                     (date(2025, 9, 1), date(2026, 8, 31))]
    numbers = [r["number"] for coach in coaches for r in billing.invoices(coach.account_id)]
    assert len(set(numbers)) == len(numbers) == 12


@pytest.mark.parametrize("paid_until, invoiced_on_import", [
    (date(2025, 8, 31), []),  # paid for this certificate year
    (date(2024, 12, 31), []),  # paid Noloc's calendar year 2024: reaches into this certificate year
    (date(2024, 8, 31), [(date(2024, 9, 1), date(2025, 8, 31))]),  # paid up to the year before only
])
def test_a_certificate_year_paid_to_noloc_before_the_import_is_not_invoiced_again(billing, paid_until,
                                                                                   invoiced_on_import):
    billing.clock.day = date(2025, 1, 10)
    coach = billing.coach("affiliate")
    billing.certificate(coach, valid_from=date(2024, 9, 1), register_fee_paid_until=paid_until)
    assert billing.periods(coach.account_id) == invoiced_on_import
    billing.clock.day = date(2025, 9, 1)
    register_fee_schedule(billing).job(billing.db)
    assert billing.periods(coach.account_id) == [*invoiced_on_import, (date(2025, 9, 1), date(2026, 8, 31))]


def test_a_renewed_certificate_continues_its_certificate_years(billing):
    billing.clock.day = date(2028, 7, 1)
    coach = billing.coach("affiliate")
    certificate_id = billing.certificate(coach, valid_from=date(2024, 9, 1))
    assert billing.periods(coach.account_id) == [(date(2027, 9, 1), date(2028, 8, 31))]
    # Renewed two months before expiry: the new period's first year is due when it starts, not now.
    billing.certificate(coach, "renewed", certificate_id=certificate_id, valid_from=date(2028, 9, 1))
    register_fee_schedule(billing).job(billing.db)
    assert len(billing.periods(coach.account_id)) == 1
    billing.clock.day = date(2028, 9, 1)
    register_fee_schedule(billing).job(billing.db)
    assert billing.periods(coach.account_id) == [(date(2027, 9, 1), date(2028, 8, 31)),
                                                 (date(2028, 9, 1), date(2029, 8, 31))]


def test_a_reactivated_certificate_is_invoiced_from_the_certificate_year_running_then(billing):
    billing.clock.day = date(2025, 1, 10)
    coach = billing.coach("affiliate")
    certificate_id = billing.certificate(coach, valid_from=date(2021, 3, 1), valid_until=date(2025, 3, 1))
    billing.certificate(coach, "lapsed", certificate_id=certificate_id)
    billing.clock.day = date(2025, 5, 1)
    billing.certificate(coach, "reactivated", certificate_id=certificate_id, valid_from=date(2025, 3, 1))
    assert billing.periods(coach.account_id) == [(date(2024, 3, 1), date(2025, 2, 28)),
                                                 (date(2025, 3, 1), date(2026, 2, 28))]


def test_a_certificate_of_an_account_not_known_yet_is_invoiced_when_the_account_arrives(billing):
    coach = billing.coach("affiliate", register=False)
    billing.certificate(coach)
    assert billing.invoices(coach.account_id) == []
    billing.account_event(coach)
    assert billing.kinds(coach.account_id) == [("register_fee", billing.clock.day.year)]
    assert {r["recipient_name"] for r in billing.invoices(coach.account_id)} == {coach.name}


def test_a_member_who_becomes_an_affiliate_pays_from_then_on(billing):
    billing.clock.day = date(2025, 1, 10)
    coach = billing.coach("member")
    billing.certificate(coach, valid_from=date(2024, 9, 1))
    billing.clock.day = date(2026, 10, 1)
    register_fee_schedule(billing).job(billing.db)
    assert billing.invoices(coach.account_id) == []
    coach.kind, coach.number = "affiliate", f"EXT-{uuid.uuid4().int % 1_000_000:06d}"
    billing.account_event(coach, "identity.account.updated")
    # The certificate year running now, not the years as a member.
    assert billing.periods(coach.account_id) == [(date(2026, 9, 1), date(2027, 8, 31))]


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
    data = cancelled["data"]
    assert (data["reason_code"], data["refund_due"]) == ("portfolio_withdrawn", False)

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
    [cancelled] = billing.outbox("billing.invoice.cancelled", subject=coach.account_id)
    data = cancelled["data"]
    assert "terugbetaald" in data["reason"]  # the Dutch text, as DNV's and Noloc's systems read it
    assert (data["reason_code"], data["refund_due"]) == ("portfolio_withdrawn", True)


def test_a_withdrawal_handled_before_its_submission_leaves_it_uninvoiced(billing):
    coach = billing.coach()
    submission_id = uuid.uuid4()
    billing.withdrawn(coach, submission_id)
    billing.submitted(coach, submission_id=submission_id)
    assert billing.invoices(coach.account_id) == []
    assert billing.outbox("billing.invoice.cancelled", subject=coach.account_id) == []
