"""The invoices API: a jobcoach sees their own, staff their issuer's; the PDF is a real PDF."""
from __future__ import annotations

import io
import uuid
from datetime import date

from pypdf import PdfReader

from service_harness import problem


def _pdf_text(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_a_jobcoach_lists_and_reads_only_their_own_invoices(billing):
    coach, other = billing.coach("affiliate"), billing.coach("affiliate")
    billing.certificate(coach)
    billing.submitted(coach)
    billing.submitted(other)
    mine = {r["id"] for r in billing.invoices(coach.account_id)}
    theirs = [r["id"] for r in billing.invoices(other.account_id)]
    assert len(mine) == 2 and len(theirs) == 1

    page = billing.get("/v1/invoices", coach.token).get_json()
    assert page["total"] == 2 and {uuid.UUID(i["id"]) for i in page["items"]} == mine
    assert {i["account_id"] for i in page["items"]} == {str(coach.account_id)}
    # Staff filters do not widen what a jobcoach sees.
    page = billing.get(f"/v1/invoices?account_id={other.account_id}", coach.token).get_json()
    assert page["total"] == 0

    for invoice_id in theirs:
        for path in (f"/v1/invoices/{invoice_id}", f"/v1/invoices/{invoice_id}/pdf"):
            body = problem(billing.get(path, coach.token), 404, "not-found")
            assert body["detail"] == "Deze factuur is niet gevonden."
    problem(billing.get(f"/v1/invoices/{uuid.uuid4()}", coach.token), 404)
    problem(billing.get("/v1/invoices", None), 401)
    problem(billing.get("/v1/invoices", billing.staff("assessor")[1]), 403)


def test_filters_and_pages(billing):
    coach = billing.coach()
    for _ in range(3):
        billing.submitted(coach)
    [first, *_] = billing.invoices(coach.account_id)
    assert billing.webhook(billing.payment(billing.invoice_body(coach, first["id"]))).status_code == 200

    opened = billing.get("/v1/invoices?state=open", coach.token).get_json()
    assert opened["total"] == 2 and {i["state"] for i in opened["items"]} == {"open"}
    paid = billing.get("/v1/invoices?state=paid&kind=recertification", coach.token).get_json()
    assert [i["id"] for i in paid["items"]] == [str(first["id"])] and paid["items"][0]["paid_at"]
    pages = [billing.get(f"/v1/invoices?page={n}&page_size=2", coach.token).get_json() for n in (1, 2)]
    assert [len(p["items"]) for p in pages] == [2, 1] and pages[0]["total"] == 3
    numbers = [i["number"] for p in pages for i in p["items"]]
    assert numbers == sorted(numbers, reverse=True)  # newest first
    problem(billing.get("/v1/invoices?state=overdue", coach.token), 422)


def test_staff_see_the_invoices_of_their_issuer(billing):
    coach = billing.coach("affiliate")
    billing.certificate(coach)
    billing.submitted(coach)
    dnv_id = next(r["id"] for r in billing.invoices(coach.account_id) if r["issuer"] == "DNV")
    noloc_ids = {r["id"] for r in billing.invoices(coach.account_id) if r["issuer"] == "Noloc"}
    _, officer = billing.staff("dnv_officer")
    _, admin = billing.staff("noloc_admin")
    _, both = billing.staff("dnv_officer", "noloc_admin")

    seen = billing.get(f"/v1/invoices?account_id={coach.account_id}", officer).get_json()
    assert [i["id"] for i in seen["items"]] == [str(dnv_id)]
    seen = billing.get(f"/v1/invoices?account_id={coach.account_id}", admin).get_json()
    assert {uuid.UUID(i["id"]) for i in seen["items"]} == noloc_ids
    assert billing.get(f"/v1/invoices?account_id={coach.account_id}", both).get_json()["total"] == 2
    everything = billing.get("/v1/invoices?page_size=100", officer).get_json()
    assert {i["issuer"] for i in everything["items"]} == {"DNV"}

    assert billing.get(f"/v1/invoices/{dnv_id}", officer).status_code == 200
    problem(billing.get(f"/v1/invoices/{dnv_id}", admin), 404)
    for noloc_id in noloc_ids:
        assert billing.get(f"/v1/invoices/{noloc_id}/pdf", admin).status_code == 200
        problem(billing.get(f"/v1/invoices/{noloc_id}/pdf", officer), 404)


def test_the_invoice_as_pdf(billing):
    coach = billing.coach()
    billing.submitted(coach)
    [row] = billing.invoices(coach.account_id)
    invoice = billing.invoice_body(coach, row["id"])
    response = billing.get(f"/v1/invoices/{row['id']}/pdf", coach.token)
    assert response.headers["Content-Disposition"] == f'attachment; filename={invoice["number"]}.pdf'
    text = _pdf_text(response)
    issued = row["issued_on"]
    for expected in ("Factuur", invoice["number"], coach.name, coach.number, "Factuurdatum", "Vervaldatum",
                     "Bedrag excl. btw", "€ 200,00", "Btw 21%", "€ 42,00", "Totaal te betalen", "€ 242,00",
                     "DNV Business Assurance", f"{issued.day} ", str(issued.year)):
        assert expected in text, expected
    problem(billing.get(f"/v1/invoices/{row['id']}/credit-note/pdf", coach.token), 404)


def test_the_credit_note_as_pdf(billing):
    coach = billing.coach()
    submission_id, _ = billing.submitted(coach)
    [row] = billing.invoices(coach.account_id)
    billing.withdrawn(coach, submission_id)
    note = billing.invoice_body(coach, row["id"])["credit_note"]
    response = billing.get(f"/v1/invoices/{row['id']}/credit-note/pdf", coach.token)
    assert response.headers["Content-Disposition"] == f'attachment; filename={note["number"]}.pdf'
    text = _pdf_text(response)
    for expected in ("Creditnota", note["number"], row["number"], "€ -242,00", "Portfolio ingetrokken"):
        assert expected in text, expected
    invoice_text = _pdf_text(billing.get(f"/v1/invoices/{row['id']}/pdf", coach.token))
    assert f"geannuleerd met creditnota {note['number']}" in invoice_text


def test_the_invoice_document_in_english(billing):
    coach = billing.coach("affiliate")
    billing.certificate(coach, valid_from=date(2024, 9, 1))
    [row] = billing.invoices(coach.account_id)
    body = billing.get(f"/v1/invoices/{row['id']}", coach.token, headers={"Accept-Language": "en"}).get_json()
    assert body["period_start"] <= billing.clock.day.isoformat() <= body["period_end"]
    first, last = date.fromisoformat(body["period_start"]), date.fromisoformat(body["period_end"])
    assert (first.month, first.day, last.month, last.day) == (9, 1, 8, 31)
    assert body["lines"][0]["description"] == (
        f"Yearly register fee for external affiliates, certificate year 1 September {first.year} to "
        f"31 August {last.year}")
    dutch = billing.invoice_body(coach, row["id"])
    assert dutch["lines"][0]["description"] == (
        f"Jaarlijkse registerbijdrage extern aangeslotene, certificaatjaar 1 september {first.year} t/m "
        f"31 augustus {last.year}")
    assert body["kind"] == "register_fee" and body["issuer"] == "Noloc" and body["currency"] == "EUR"
    text = " ".join(_pdf_text(billing.get(f"/v1/invoices/{row['id']}/pdf", coach.token)).split())
    assert f"certificaatjaar 1 september {first.year} t/m 31 augustus {last.year}" in text
    assert body["recipient_number"] == coach.number and body["period_year"] == first.year
