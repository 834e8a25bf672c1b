"""Certificates: loading existing holders from CSV (per-line errors, twice changes nothing, holders whose
account comes later), the public register, the jobcoach's tile and the expiry reminders."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from assessment_support import HEADER, account_registered
from races import Beside

from recert_assessment.certificates import CertificateService
from recert_assessment.handlers import Handlers
from recert_assessment.store import SqlAssessmentUnitOfWork
from recert_common.events import Event, new_event

from service_harness import problem


def _number() -> str:
    return f"RJ-{uuid.uuid4().hex[:8].upper()}"


def test_a_file_is_loaded_once_and_loading_it_again_changes_nothing(assessment):
    assessment.clock.day = date(2026, 11, 1)
    coaches = [assessment.person() for _ in range(3)]
    numbers = [_number() for _ in coaches]
    text = HEADER + "".join(f"{c.membership_number},{n},2027-0{i + 4}-30{c.holder}\n"
                            for i, (c, n) in enumerate(zip(coaches, numbers, strict=True)))
    first = assessment.ok(assessment.import_csv(text, assessment.officer.token))
    assert first == {"rows": 3, "created": 3, "unchanged": 0, "linked": 3, "awaiting_account": 0}
    registered = [e for e in assessment.outbox("certification.certificate.registered")
                  if e["data"]["certificate_number"] in numbers]
    assert [e["data"]["certificate_number"] for e in registered] == numbers
    assert registered[0]["data"]["valid_from"] == "2023-04-30" and registered[0]["data"]["valid_until"] == \
        "2027-04-30"
    assert registered[0]["subject"] == str(coaches[0].account_id)

    before = assessment.state()
    again = assessment.ok(assessment.import_csv(text))
    assert again == {"rows": 3, "created": 0, "unchanged": 3, "linked": 0, "awaiting_account": 0}
    assert assessment.state() == before


def test_wrong_lines_are_listed_and_nothing_is_loaded(assessment):
    assessment.clock.day = date(2026, 11, 1)
    holder, newcomer, taken = assessment.person(), assessment.person(), _number()
    assessment.ok(assessment.import_csv(f"{HEADER}{holder.membership_number},{taken},2027-06-30{holder.holder}\n"))
    before = assessment.state()
    other, late = assessment.person(), assessment.person()
    text = (HEADER + f"{newcomer.membership_number},{_number()},2027-06-30{newcomer.holder}\n"  # 2: fine
            f"99,{_number()},2027-06-30{newcomer.holder}\n"                        # 3: no Noloc number
            f"{other.membership_number},{taken},2027-06-30{other.holder}\n"        # 4: number taken
            f"{holder.membership_number},{_number()},2027-06-30{holder.holder}\n"  # 5: holder has one
            f"{late.membership_number},{_number()},2026-10-31{late.holder}\n")     # 6: expired
    body = problem(assessment.import_csv(text), 422, "csv-rows-rejected")
    assert body["detail"].startswith("4 regel(s) bevatten fouten; er is niets ingelezen.")
    assert [(line["line"], line["field"], line["code"]) for line in body["lines"]] == [
        (3, "noloc_number", "noloc_number_invalid"), (4, "certificate_number", "number_taken"),
        (5, "noloc_number", "member_has_certificate"), (6, "valid_until", "date_in_past")]
    assert body["lines"][2]["message"] == f"Dit Noloc-nummer heeft al certificaat {taken}."
    english = assessment.post("/v1/certificates/import", assessment.admin.token, data=text.encode(),
                              headers={"Content-Type": "text/csv", "Accept-Language": "en"}).get_json()
    assert english["lines"][0]["message"] == "99 is not a Noloc membership or affiliate number."
    assert assessment.state() == before


def test_a_file_that_is_no_such_csv_is_refused(assessment):
    before = assessment.state()
    body = problem(assessment.import_csv("nummer,certificaat\n1234567,RJ-1\n"), 422, "csv-unreadable")
    assert body["code"] == "header_columns"
    assert "noloc_number,certificate_number,valid_until,email,name" in body["detail"]
    problem(assessment.post("/v1/certificates/import", assessment.admin.token, data=b"\xff\xfe\x00garbage",
                            headers={"Content-Type": "text/csv"}), 422, "csv-unreadable")
    problem(assessment.import_csv(""), 422, "csv-unreadable")
    problem(assessment.import_csv(HEADER, content_type="application/json"), 415, "unsupported-media-type")
    too_large = HEADER + "1234567,RJ-1,2027-06-30,a@example.org,A\n" * 2000  # > the test limit of 64 KiB
    problem(assessment.import_csv(too_large), 413, "payload-too-large")
    problem(assessment.import_csv(HEADER, assessment.person("assessor").token), 403)
    assert assessment.state() == before


def test_a_holder_without_an_account_is_linked_when_the_account_registers(assessment):
    assessment.clock.day = date(2026, 11, 1)
    coach = assessment.person(register=False, name="Henk Nieuwkomer")
    number = _number()
    loaded = assessment.ok(assessment.import_csv(
        f"{HEADER}{coach.membership_number},{number},2028-01-31{coach.holder}\n"))
    assert (loaded["created"], loaded["awaiting_account"]) == (1, 1)
    assert assessment.outbox("certification.certificate.registered", subject=coach.account_id) == []
    # The register shows the holder as Noloc's import names them; the tile has no certificate yet.
    assert assessment.register_entry(number) == {"name": "Henk Nieuwkomer", "certificate_number": number,
                                                 "valid_until": "2028-01-31", "state": "active"}
    problem(assessment.get("/v1/certificates/mine", coach.token), 404)

    assessment.register_account(coach)
    [registered] = assessment.outbox("certification.certificate.registered", subject=coach.account_id)
    assert registered["data"]["account_id"] == str(coach.account_id)
    assert assessment.register_entry(number)["name"] == "Henk Nieuwkomer"
    assert [e["certificate_number"] for e in assessment.register("nieuwkomer")] == [number]
    tile = assessment.ok(assessment.get("/v1/certificates/mine", coach.token))
    assert (tile["certificate_number"], tile["valid_until"], tile["days_left"]) == (number, "2028-01-31", 456)
    assert (tile["window_open"], tile["submission_window"]) == (
        False, {"opens_on": "2027-10-31", "closes_on": "2028-01-31"})
    # An update of the account (a new name) does not announce the certificate again, nor change the name
    # in the register: that is Noloc's record of the holder, not what an account calls itself.
    assessment.publish("identity.account.updated", {
        "account_id": coach.account_id, "email": "h@example.org", "full_name": "Henk Oudgediende",
        "roles": ["jobcoach"], "membership_kind": "member", "membership_number": coach.membership_number,
        "preferred_language": "nl", "changed": ["full_name"]}, subject=coach.account_id)
    assert len(assessment.outbox("certification.certificate.registered", subject=coach.account_id)) == 1
    assert assessment.register_entry(number)["name"] == "Henk Nieuwkomer"


def test_the_register_answers_searches_without_login_and_nothing_more(assessment):
    assessment.clock.day = date(2026, 11, 1)
    coach = assessment.person(name="Wilhelmina Zoekbaar")
    number = _number()
    assessment.ok(assessment.import_csv(f"{HEADER}{coach.membership_number},{number},2027-09-30{coach.holder}\n"))
    expected = {"name": "Wilhelmina Zoekbaar", "certificate_number": number, "valid_until": "2027-09-30",
                "state": "active"}
    assert assessment.register("zoekBAAR") == [expected]
    assert assessment.register(number.lower()) == [expected]
    assert assessment.register_entry(number.lower()) == expected
    problem(assessment.get("/v1/register/RJ-DOES-NOT-EXIST"), 404)
    assert problem(assessment.get("/v1/register", query_string={"q": "ab"}), 422)["errors"] == {
        "q": ["De lengte moet tussen 3 en 100 liggen."]}
    problem(assessment.get("/v1/register"), 422)
    assert assessment.register("%%%") == []  # no wildcard tricks


def test_a_lapsed_certificate_leaves_the_register_and_its_holder_still_sees_it(assessment):
    assessment.clock.day = date(2027, 6, 1)
    coach = assessment.person(name="Lotte Vervallen")
    certificate = assessment.certificate(coach, date(2027, 6, 30))
    assert [e["certificate_number"] for e in assessment.register("vervallen")] == [certificate["number"]]
    assessment.clock.day = date(2027, 7, 1)
    assessment.deadline_missed(coach, certificate)
    assert assessment.scalar("SELECT state FROM certificates WHERE id = %s", certificate["id"]) == "lapsed"

    # Lookup: the same answer as a number that never existed (no oracle); search: absent.
    for language in ("nl", "en"):
        headers = {"Accept-Language": language}
        lapsed = problem(assessment.get(f"/v1/register/{certificate['number']}", headers=headers), 404)
        unknown = problem(assessment.get("/v1/register/RJ-NEVER-ISSUED", headers=headers), 404)
        assert {k: lapsed[k] for k in ("type", "title", "status", "detail")} == \
            {k: unknown[k] for k in ("type", "title", "status", "detail")}
        assert set(lapsed) == set(unknown)
    assert assessment.register("vervallen") == []
    assert assessment.register(certificate["number"]) == []

    # The holder still sees their own certificate, lapsed; DNV too.
    tile = assessment.ok(assessment.get("/v1/certificates/mine", coach.token))
    assert (tile["certificate_number"], tile["state"]) == (certificate["number"], "lapsed")
    mine = assessment.ok(assessment.get(f"/v1/certificates/{certificate['id']}", coach.token))
    assert (mine["number"], mine["state"]) == (certificate["number"], "lapsed")
    staff = assessment.ok(assessment.get("/v1/certificates", assessment.officer.token,
                                         query_string={"number": certificate["number"]}))
    assert [(c["number"], c["state"]) for c in staff["items"]] == [(certificate["number"], "lapsed")]


def test_the_import_carries_the_date_up_to_which_the_register_fee_was_paid(assessment):
    assessment.clock.day = date(2025, 1, 10)
    paid, unknown, later = assessment.person(), assessment.person(), assessment.person(register=False)
    numbers = [_number() for _ in range(3)]
    text = ("noloc_number;certificate_number;valid_until;register_fee_paid_until;email;name\n"
            f"{paid.membership_number};{numbers[0]};2028-09-01;2025-08-31;{paid.email};{paid.name}\n"
            f"{unknown.membership_number};{numbers[1]};2028-09-01;;{unknown.email};{unknown.name}\n"
            f"{later.membership_number};{numbers[2]};2028-09-01;2024-12-31;{later.email};{later.name}\n")
    assert assessment.ok(assessment.import_csv(text))["linked"] == 2
    sent = {e["data"]["certificate_number"]: e["data"]
            for e in assessment.outbox("certification.certificate.registered")}
    assert (sent[numbers[0]]["valid_from"], sent[numbers[0]]["register_fee_paid_until"]) == \
        ("2024-09-01", "2025-08-31")
    assert sent[numbers[1]]["register_fee_paid_until"] is None
    # A holder whose account comes later: the date travels with the event recorded then.
    assessment.register_account(later)
    [registered] = assessment.outbox("certification.certificate.registered", subject=later.account_id)
    assert registered["data"]["register_fee_paid_until"] == "2024-12-31"
    late = assessment.person()
    body = problem(assessment.import_csv(f"{HEADER.strip()},register_fee_paid_until\n"
                                         f"{late.membership_number},{_number()},2028-09-01{late.holder},"
                                         "eind 2025\n"), 422, "csv-rows-rejected")
    assert [(e["line"], e["field"]) for e in body["lines"]] == [(2, "register_fee_paid_until")]


def test_the_tile_is_the_jobcoachs_own(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach = assessment.person()
    certificate = assessment.certificate(coach, date(2027, 6, 30))
    tile = assessment.ok(assessment.get("/v1/certificates/mine", coach.token))
    assert tile == {"certificate_id": certificate["id"], "certificate_number": certificate["number"],
                    "valid_from": "2023-06-30", "valid_until": "2027-06-30", "state": "active",
                    "today": "2027-04-01", "days_left": 90, "window_open": True,
                    "submission_window": {"opens_on": "2027-03-30", "closes_on": "2027-06-30"}}
    mine = assessment.ok(assessment.get(f"/v1/certificates/{certificate['id']}", coach.token))
    assert mine["number"] == certificate["number"]
    problem(assessment.get(f"/v1/certificates/{certificate['id']}", assessment.person().token), 404)
    problem(assessment.get("/v1/certificates/mine", assessment.person(register=False).token), 404)


def test_expiry_reminders_send_only_the_latest_due_one_once(assessment):
    assessment.clock.day = date(2027, 4, 30)  # two months before expiry
    coach, busy = assessment.person(), assessment.person()
    certificate = assessment.certificate(coach, date(2027, 6, 30))
    other = assessment.certificate(busy, date(2027, 6, 30))
    assessment.submit(busy, other)  # a portfolio is being assessed: no reminder

    def reminders(person):
        return [(e["data"]["months_before"], e["data"]["window_open"])
                for e in assessment.outbox("certification.certificate.expiring", subject=person.account_id)]

    assessment.run_schedule()
    assessment.run_schedule()
    assert reminders(coach) == [(3, True)]
    assert reminders(busy) == []
    [event] = assessment.outbox("certification.certificate.expiring", subject=coach.account_id)
    assert event["data"] == {"certificate_id": certificate["id"], "certificate_number": certificate["number"],
                             "account_id": str(coach.account_id), "months_before": 3,
                             "valid_until": "2027-06-30", "window_opens_on": "2027-03-30",
                             "window_open": True}
    assessment.clock.day = date(2027, 5, 29)
    assessment.run_schedule()
    assert reminders(coach) == [(3, True)]
    assessment.clock.day = date(2027, 5, 30)
    assessment.run_schedule()
    assessment.run_schedule()
    assert reminders(coach) == [(3, True), (1, True)]


def test_a_number_alone_links_nothing_the_import_names_the_holder(assessment):
    """Issue 11: registering with someone else's Noloc number used to link their certificate to the
    stranger and put the stranger's chosen name in the public register."""
    assessment.clock.day = date(2026, 11, 1)
    holder = assessment.person(register=False, name="Hanna Houder")
    stranger = assessment.person(register=False, name="Sjaak Overnemer")
    stranger.membership_number = holder.membership_number  # typed at registration; verified own address
    assessment.register_account(stranger)
    number = _number()

    loaded = assessment.ok(assessment.import_csv(
        f"{HEADER}{holder.membership_number},{number},2028-01-31{holder.holder}\n"))

    assert (loaded["linked"], loaded["awaiting_account"]) == (0, 1)
    assert assessment.outbox("certification.certificate.registered", subject=stranger.account_id) == []
    assert assessment.register_entry(number)["name"] == "Hanna Houder"
    problem(assessment.get("/v1/certificates/mine", stranger.token), 404)
    # The stranger changing their profile changes neither the link nor the register.
    assessment.publish("identity.account.updated", {
        "account_id": stranger.account_id, "email": stranger.email, "full_name": "Hanna Houder",
        "roles": ["jobcoach"], "membership_kind": "member", "membership_number": holder.membership_number,
        "preferred_language": "nl", "changed": ["full_name"]}, subject=stranger.account_id)
    problem(assessment.get("/v1/certificates/mine", stranger.token), 404)

    # The holder verifies the address Noloc has for them: the certificate is theirs.
    assessment.register_account(holder)
    [registered] = assessment.outbox("certification.certificate.registered",
                                     subject=holder.account_id)
    assert registered["data"]["certificate_number"] == number
    tile = assessment.ok(assessment.get("/v1/certificates/mine", holder.token))
    assert tile["certificate_number"] == number
    assert [e["name"] for e in assessment.register("houder")] == ["Hanna Houder"]
    assert assessment.register("overnemer") == []


def test_a_certificate_waits_when_the_address_differs_and_its_holder_claims_it_with_a_code(assessment):
    assessment.clock.day = date(2026, 11, 1)
    coach = assessment.person(name="Cor Claimer")  # verified, but with another address than Noloc has
    number = _number()
    assessment.ok(assessment.import_csv(
        f"{HEADER}{coach.membership_number},{number},2028-01-31,cor.prive@example.org,Cor Claimer\n"))
    problem(assessment.get("/v1/certificates/mine", coach.token), 404)
    certificate_id = assessment.scalar("SELECT id FROM certificates WHERE number = %s", number)

    # Only Noloc admins and DNV officers issue codes; the jobcoach redeems.
    problem(assessment.post(f"/v1/certificates/{certificate_id}/claim-codes", coach.token), 403)
    problem(assessment.post(f"/v1/certificates/{certificate_id}/claim-codes",
                            assessment.person("assessor").token), 403)
    issued = assessment.ok(assessment.post(f"/v1/certificates/{certificate_id}/claim-codes",
                                           assessment.officer.token), 201)
    code = issued["code"]
    assert len(code.replace("-", "")) == 12
    stored = assessment.scalar("SELECT code_hash FROM claim_codes WHERE certificate_id = %s", certificate_id)
    assert code.encode() not in bytes(stored)  # only a hash is kept

    other = assessment.person()  # a jobcoach with another number cannot use the holder's code
    refused = problem(assessment.post("/v1/certificates/claim", other.token, json={"code": code}), 409)
    assert refused["reason"] == "claim_number_differs"
    wrong = problem(assessment.post("/v1/certificates/claim", coach.token, json={"code": "0000-0000-0000"}),
                    422, "claim-code-rejected")
    assert list(wrong["errors"]) == ["code"]

    claimed = assessment.ok(assessment.post("/v1/certificates/claim", coach.token,
                                            json={"code": code.lower().replace("-", " ")}))
    assert claimed["certificate_number"] == number
    assert assessment.ok(assessment.get("/v1/certificates/mine", coach.token))["certificate_number"] == number
    [registered] = assessment.outbox("certification.certificate.registered", subject=coach.account_id)
    assert registered["data"]["certificate_number"] == number
    problem(assessment.post("/v1/certificates/claim", coach.token, json={"code": code}), 422)  # single use
    problem(assessment.post(f"/v1/certificates/{certificate_id}/claim-codes", assessment.admin.token), 409)


def test_claim_codes_cannot_be_guessed(assessment):
    assessment.clock.day = date(2026, 11, 1)
    coach = assessment.person()
    for _ in range(5):
        problem(assessment.post("/v1/certificates/claim", coach.token, json={"code": "ABCD-EFGH-JKMN"}), 422)
    throttled = assessment.post("/v1/certificates/claim", coach.token, json={"code": "ABCD-EFGH-JKMN"})
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert throttled.mimetype == "application/problem+json"


def test_claim_tries_at_the_same_moment_are_counted_one_after_the_other(assessment):
    """Each try counted against the failures committed before it let tries sent at once each see fewer than
    five, so more than five went through in the window. A try in flight now holds the account's attempts:
    here the fifth, its transaction open; the sixth waits for it and is then throttled."""
    assessment.clock.day = date(2026, 11, 1)
    coach = assessment.person()
    for _ in range(4):
        problem(assessment.post("/v1/certificates/claim", coach.token, json={"code": "ABCD-EFGH-JKMN"}), 422)
    answers = []
    with assessment.db.transaction() as fifth:
        attempts = SqlAssessmentUnitOfWork.joining(fifth).claim_codes
        attempts.lock_account(coach.account_id)
        attempts.record_attempt(coach.account_id, datetime.now(UTC))
        sixth = Beside(lambda: answers.append(assessment.post("/v1/certificates/claim", coach.token,
                                                              json={"code": "ABCD-EFGH-JKMN"})))
        sixth.waits_on_a_lock_or_ends(assessment.db)
    assert sixth.finished()
    assert [a.status_code for a in answers] == [429]


# -- an import and the holder's account at the same moment ---------------------------------------------------
def _holder_account(coach) -> Event:
    return new_event("identity.account.registered", account_registered(coach), producer="identity",
                     subject=coach.account_id)


@pytest.mark.parametrize("first", ["account", "import"])
def test_an_import_and_the_holders_account_at_once_link_in_either_order(assessment, first):
    """Each side writes its row, then looks for the other's. Under READ COMMITTED both could look before
    the other committed, and the certificate waited for its account for good; the lock imports and account
    changes share makes the second look after the first commit, whichever side comes first."""
    h = assessment
    h.clock.day = date(2026, 11, 1)
    coach = h.person(register=False)
    number = _number()
    text = f"{HEADER}{coach.membership_number},{number},2027-06-30{coach.holder}\n"
    handlers = Handlers(h.settings.zone)

    def account_alone() -> None:
        with SqlAssessmentUnitOfWork(h.db) as uow:
            handlers.on_account(uow, _holder_account(coach))

    with h.db.transaction() as held:  # the first side, its transaction open until the second waits or ends
        joined = SqlAssessmentUnitOfWork.joining(held)
        if first == "account":
            handlers.on_account(joined, _holder_account(coach))
            second = Beside(lambda: h.service.certificates.import_csv(text.encode()))
        else:
            CertificateService(lambda: joined, today=lambda: h.clock.day, now=lambda: datetime.now(UTC)
                               ).import_csv(text.encode())
            second = Beside(account_alone)
        second.waits_on_a_lock_or_ends(h.db)
    assert second.finished(), second.failures
    assert h.scalar("SELECT account_id FROM certificates WHERE number = %s", number) == coach.account_id
    assert [e["data"]["certificate_number"] for e in h.outbox("certification.certificate.registered",
                                                             subject=coach.account_id)] == [number]


def test_an_import_of_many_holders_holds_one_lock_not_one_per_holder(assessment):
    """The import's lock is one for every Noloc number. PostgreSQL keeps transaction locks in a shared table
    with room for a few thousand in all (``max_locks_per_transaction`` x ``max_connections``): a lock per
    holder would fail the import of a whole register with "out of shared memory", and starve every other
    transaction of locks while it ran."""
    h = assessment
    h.clock.day = date(2026, 11, 1)
    holders = 300
    first = 10_000_000 + uuid.uuid4().int % 80_000_000
    lines = "".join(f"{first + n},{_number()},2027-06-30,"
                    f"holder{n}@example.org,Houder {n}\n" for n in range(holders))
    with h.db.transaction() as held:
        result = CertificateService(lambda: SqlAssessmentUnitOfWork.joining(held), today=lambda: h.clock.day,
                                    now=lambda: datetime.now(UTC)).import_csv(f"{HEADER}{lines}".encode())
        locks = held.execute("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' "
                             "AND pid = pg_backend_pid()").fetchone()["n"]
        held.rollback()
    assert result.created == holders
    assert locks == 1
