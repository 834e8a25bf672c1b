"""The wegwijzer through the gateway (issue 14, ADR 0026): its dates on the three paths (a positive decision's
next cycle, a postponed decision's supplement deadline, a negative decision's new-portfolio deadline) and for
a late jobcoach; the calendar feed read by the iCalendar library, renewal ending the old address; the nudge's
e-mail and inbox message, exactly once per milestone.

Identity, pe-registry, portfolio and notifications run as real processes with a real SMTP server; what
assessment would send (the certificate, the case, DNV's decisions) is published as raw events. Portfolio's
worker runs the daily nudge every second here, so the tests see it happen.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import icalendar
import pytest
import requests
from smtp_mailbox import mailbox_fixture

from recert_common.clock import platform_today
from recert_common.rules import add_months, add_years

from e2e_fixtures import running_system
from frontend import Frontend
from journeys import TODAY, certified_coach, complete_portfolio, eventually, ok

SERVICES = ["identity", "pe-registry", "portfolio", "notifications"]
NUDGE_SUBJECT = "Je wegwijzer: je loopt achter met"

mailbox = mailbox_fixture()


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory, mailbox):
    with running_system(infra, tmp_path_factory, SERVICES, {
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(mailbox.port),
        "RECERT_NOTIFICATIONS_SEND_POLL_SECONDS": "0.3",
        "RECERT_PORTFOLIO_WEGWIJZER_INTERVAL_SECONDS": "1",
    }) as system:
        yield system


@pytest.fixture(scope="module")
def app(system, mailbox) -> Frontend:
    return Frontend(system.gateway, mail=mailbox.token)


def _wegwijzer(app, person) -> dict:
    return ok(app.get("portfolio/wegwijzer", person))


def _milestones(body: dict) -> dict[str, tuple[str, str]]:
    return {m["key"]: (m["date"], m["state"]) for m in body["milestones"]}


def _submitted(app, system):
    """A jobcoach whose complete portfolio was submitted inside the window, with the case DNV opened."""
    person = certified_coach(app, system, TODAY + timedelta(days=30))
    complete_portfolio(app, person)
    submission = ok(app.post("portfolio/cycles/current/submit", person), 201)
    case_id = uuid.uuid4()
    system.publish("assessment.case.opened", {
        "case_id": case_id, "account_id": person.id, "portfolio_id": submission["portfolio_id"],
        "submission_id": submission["id"], "due_on": TODAY + timedelta(weeks=8)},
        subject=person.id, producer="assessment")
    certificate_id = ok(app.get("portfolio/cycles/current", person))["certificate_id"]
    return person, case_id, certificate_id


def _decide(system, person, case_id, certificate_id, decision: str, **extra) -> None:
    system.publish("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": case_id, "account_id": person.id,
        "certificate_id": certificate_id, "decision": decision, "follows_advice": True,
        "objection_deadline": TODAY + timedelta(weeks=6), **extra}, subject=person.id, producer="assessment")


def test_a_positive_decision_leads_to_the_next_cycle(app, system):
    person = certified_coach(app, system, TODAY + timedelta(days=30))
    first = _wegwijzer(app, person)
    assert first["case_state"] == "building" and first["deadline"] == str(TODAY + timedelta(days=30))
    cycle = ok(app.get("portfolio/cycles/current", person))
    renewed_until = add_years(TODAY + timedelta(days=30), 4)
    system.publish("certification.certificate.renewed", {
        "certificate_id": cycle["certificate_id"], "certificate_number": "RJ-WEGWIJZER",
        "account_id": person.id, "valid_from": TODAY + timedelta(days=30), "valid_until": renewed_until,
        "decision_id": uuid.uuid4(), "previous_valid_until": TODAY + timedelta(days=30)},
        subject=person.id, producer="assessment")
    body = eventually(lambda: (b := _wegwijzer(app, person))["expires_on"] == str(renewed_until) and b,
                      what="the next cycle's wegwijzer")
    opens = add_months(renewed_until, -3)
    assert body["case_state"] == "building" and body["deadline"] == str(renewed_until)
    assert body["window_opens_on"] == str(opens)
    assert _milestones(body) == {
        "plan_start": (str(add_months(opens, -12)), "on_track"),
        "pe_points": (str(opens), "on_track"),
        "reflection_meetings": (str(opens), "on_track"),
        "portfolio_parts": (str(opens), "on_track"),
        "window_opens": (str(opens), "on_track"),
        "expiry": (str(renewed_until), "on_track"),
    }
    assert body["next_step"] == {"action": "start", "milestone": "plan_start",
                                 "date": str(add_months(opens, -12))}
    assert body["pace"]["points_needed"] == "75" and body["pace"]["sustainable_per_month"] == "8"


def test_a_postponed_decision_leads_to_the_supplement_deadline(app, system):
    person, case_id, certificate_id = _submitted(app, system)
    waiting = _wegwijzer(app, person)
    assert waiting["case_state"] == "awaiting_decision" and waiting["next_step"]["action"] == "wait"
    due = add_months(platform_today(), 3)
    _decide(system, person, case_id, certificate_id, "postponed", supplement_due_on=due,
            supplements=[{"part": "A2", "assignment": "Werk de terugblik verder uit."}])
    body = eventually(lambda: (b := _wegwijzer(app, person))["case_state"] == "postponed" and b,
                      what="the supplement in the wegwijzer")
    assert body["deadline"] == str(due)
    assert _milestones(body) == {"supplement_parts": (str(due), "on_track"),
                                 "supplement_deadline": (str(due), "on_track")}
    assert body["next_step"] == {"action": "supplement", "milestone": "supplement_parts", "date": str(due)}


def test_a_negative_decision_leads_to_the_new_portfolio_deadline(app, system):
    person, case_id, certificate_id = _submitted(app, system)
    deadline = add_months(platform_today(), 3)
    _decide(system, person, case_id, certificate_id, "negative", new_portfolio_deadline=deadline)
    body = eventually(lambda: (b := _wegwijzer(app, person))["case_state"] == "negative" and b,
                      what="the new portfolio in the wegwijzer")
    assert body["deadline"] == str(deadline)
    # The new portfolio starts from the old one's texts, meetings and PE: nothing is left but submitting.
    assert _milestones(body) == {"pe_points": (str(deadline), "done"),
                                 "reflection_meetings": (str(deadline), "done"),
                                 "portfolio_parts": (str(deadline), "done"),
                                 "new_portfolio_deadline": (str(deadline), "on_track")}
    assert body["next_step"]["action"] == "submit"


def _nudges(mailbox, person) -> list[str]:
    # A long subject is folded on the wire; unfolded it may keep extra spaces.
    subjects = [" ".join(subject.split()) for subject, _ in mailbox.texts(person.email)]
    return [subject for subject in subjects if subject.startswith(NUDGE_SUBJECT)]


def test_a_late_jobcoach_is_behind_and_hears_of_each_milestone_exactly_once(app, system, mailbox):
    expires = add_months(TODAY, 7)  # the window opens in 4 months: too late for 75 PE points and 4 meetings
    person = certified_coach(app, system, expires)
    body = _wegwijzer(app, person)
    states = {key: state for key, (_, state) in _milestones(body).items()}
    behind = {key for key, state in states.items() if state == "behind"}
    assert behind == {"plan_start", "pe_points", "reflection_meetings", "expiry"}, states
    assert states["portfolio_parts"] == "on_track"  # three months of writing still fit
    assert body["next_step"]["action"] == "record_pe"
    pace = body["pace"]
    assert pace["target"] == str(add_months(expires, -3)) and int(pace["points_per_month"]) > 8

    eventually(lambda: len(_nudges(mailbox, person)) == len(behind), what="one nudge per milestone behind")
    # Another late jobcoach's nudges arriving proves the daily check ran again since; nothing new came.
    other = certified_coach(app, system, expires)
    eventually(lambda: len(_nudges(mailbox, other)) == len(behind), what="the next run's nudges")
    subjects = _nudges(mailbox, person)
    assert len(subjects) == len(set(subjects)) == 4
    assert any("75 PE-punten" in s for s in subjects)
    pe_text = next(text for subject, text in mailbox.texts(person.email) if "75 PE-punten" in subject)
    assert f"{pace['points_per_month']} punten per maand" in pe_text and "/wegwijzer" in pe_text
    inbox = ok(app.get("messages", person, params={"page_size": 100}))["items"]
    nudges = [m for m in inbox if m["template"] == "milestone_behind"]
    assert sorted(m["subject"] for m in nudges) == sorted(subjects)


def _feed(system, path: str) -> requests.Response:
    return requests.get(f"{system.gateway.rstrip('/')}{path}", timeout=30)


def test_the_calendar_feed_is_read_by_an_icalendar_library_and_renewal_ends_the_old_address(app, system):
    person = certified_coach(app, system, add_months(TODAY, 20))
    feed = ok(app.get("portfolio/wegwijzer/calendar", person))
    assert ok(app.get("portfolio/wegwijzer/calendar", person))["path"] == feed["path"]
    answer = _feed(system, feed["path"])  # no login: the token is the secret
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(answer.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    body = _wegwijzer(app, person)
    assert len(events) == len(body["milestones"]) == 6
    by_key = {uid.split("@")[0].removeprefix(f"{body['cycle_id']}-"): e for uid, e in events.items()}
    for milestone in body["milestones"]:
        event = by_key[milestone["key"]]
        assert str(event["DTSTART"].dt) == milestone["date"] and event["DTSTART"].params["VALUE"] == "DATE"
        assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(days=1) and "DTSTAMP" in event
    assert str(by_key["expiry"]["SUMMARY"]).startswith("Je certificaat verloopt")
    english = icalendar.Calendar.from_ical(_feed(system, feed["path"] + "&lang=en").content)
    assert {str(e["UID"]) for e in english.walk("VEVENT")} == set(events)  # the same events, stable UIDs

    renewed = ok(app.post("portfolio/wegwijzer/calendar/renew", person), 201)
    assert renewed["path"] != feed["path"]
    assert _feed(system, feed["path"]).status_code == 404
    assert _feed(system, renewed["path"]).status_code == 200
    assert ok(app.get("portfolio/wegwijzer/calendar", person))["path"] == renewed["path"]
    assert _feed(system, "/api/v1/portfolio/calendar?token=" + "A" * 43).status_code == 404
