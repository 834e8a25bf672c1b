"""Noloc Academie completions become category-1 activities through the broker: once per completion, also
when sent twice, and not lost when the jobcoach's account is not known yet."""
from __future__ import annotations

import uuid
from datetime import timedelta

from pe_support import assert_problem, today

from recert_common.bus import list_dead_letters
from recert_common.events import new_event

from service_harness import wait_for

NOLOC = "noloc.academy.activity.completed"


def _number() -> str:
    return str(uuid.uuid4().int % 90_000_000 + 10_000_000)


def _completion(number: str, **overrides) -> dict:
    data = {"external_id": f"academy-{uuid.uuid4().hex[:10]}", "membership_number": number,
            "title": "Webinar: werken met de Wet verbetering poortwachter", "provider": "Noloc Academie",
            "completed_on": today() - timedelta(days=7), "amount": "1.5", "unit": "sbu", "points": None}
    data.update(overrides)
    return data


def _register(pe, coach, number: str, type_: str = "identity.account.registered", **extra) -> None:
    pe.publish_and_wait(type_, {
        "account_id": coach.account_id, "email": f"{uuid.uuid4().hex[:8]}@example.org",
        "full_name": "Jan Jansen",
        "roles": ["jobcoach"], "membership_kind": "member", "membership_number": number,
        "preferred_language": "nl", **extra}, subject=coach.account_id)


def _activities(pe, coach) -> list[dict]:
    return pe.call("GET", "/v1/pe/activities", coach).get_json()["items"]


def test_a_completion_sent_three_times_becomes_one_activity_with_its_provenance(pe):
    coach, number = pe.jobcoach(), _number()
    _register(pe, coach, number)
    data = _completion(number)
    event = new_event(NOLOC, data, producer="noloc")
    pe.publish_and_wait(NOLOC, data, event=event)
    pe.publish(NOLOC, data, event=event)  # the same event again: the inbox drops it
    pe.publish_and_wait(NOLOC, data)  # another event about the same completion: the import ledger drops it
    wait_for(lambda: pe.scalar("SELECT count(*) FROM inbox WHERE event_id = %s", (event.id,)) == 1)

    [activity] = _activities(pe, coach)
    assert {key: activity[key] for key in ("category", "source", "external_id", "provider", "amount", "unit",
                                           "points", "title", "completed_on")} == {
        "category": 1, "source": "noloc_academy", "external_id": data["external_id"],
        "provider": "Noloc Academie", "amount": "1.5", "unit": "sbu", "points": "1.5", "title": data["title"],
        "completed_on": data["completed_on"].isoformat()}
    [recorded] = pe.outbox(coach.account_id, "pe.activity.recorded")
    assert (recorded["data"]["source"], recorded["data"]["external_id"]) == (
        "noloc_academy", data["external_id"])


def test_ects_and_points_from_noloc(pe):
    coach, number = pe.jobcoach(), _number()
    _register(pe, coach, number)
    pe.publish_and_wait(NOLOC, _completion(number, amount="0.25", unit="ects", title="E-learning"))
    pe.publish_and_wait(NOLOC, _completion(number, amount=None, unit=None, points="2", title="Podcast"))
    found = {a["title"]: (a["amount"], a["unit"], a["points"]) for a in _activities(pe, coach)}
    assert found == {"E-learning": ("0.25", "ects", "7"), "Podcast": ("2", "points", "2")}


def test_a_completion_for_an_unknown_member_waits_for_the_account(pe):
    number = _number()
    data = _completion(f" {number} ")  # as Noloc might send it: spaces are not part of the number
    before = pe.counts()
    pe.publish_and_wait(NOLOC, data)
    parked = pe.counts()
    assert (parked["pending_noloc_activities"], parked["activities"]) == (
        before["pending_noloc_activities"] + 1, before["activities"])

    coach = pe.jobcoach()  # holds the number's certificate
    _register(pe, coach, number)

    [activity] = _activities(pe, coach)
    assert (activity["external_id"], activity["category"]) == (data["external_id"], 1)
    after = pe.counts()
    assert after["pending_noloc_activities"] == before["pending_noloc_activities"]
    assert len(pe.outbox(coach.account_id, "pe.activity.recorded")) == 1


def test_a_changed_membership_number_picks_up_what_waited_for_it(pe):
    coach, old, new = pe.jobcoach(), _number(), _number()
    _register(pe, coach, old)
    pe.publish_and_wait(NOLOC, _completion(new))
    assert _activities(pe, coach) == []
    _register(pe, coach, new, type_="identity.account.updated", changed=["membership_number"])
    assert len(_activities(pe, coach)) == 1


def test_an_imported_activity_keeps_what_noloc_vouches_for_and_stays_removed(pe):
    coach, number = pe.jobcoach(), _number()
    _register(pe, coach, number)
    data = _completion(number)
    pe.publish_and_wait(NOLOC, data)
    [activity] = _activities(pe, coach)

    problem = assert_problem(pe.call("PATCH", f"/v1/pe/activities/{activity['id']}", coach,
                                     json={"amount": "40", "title": "Meer"}), 409, contains="Noloc Academie")
    assert problem["fields"] == ["amount", "title"]
    response = pe.call("PATCH", f"/v1/pe/activities/{activity['id']}", coach, json={"description": "Nuttig"})
    assert response.status_code == 200 and response.get_json()["description"] == "Nuttig"

    assert pe.call("DELETE", f"/v1/pe/activities/{activity['id']}", coach).status_code == 204
    pe.publish_and_wait(NOLOC, data)  # Noloc sends it again later: removed stays removed
    assert _activities(pe, coach) == []


def test_an_implausible_completion_goes_to_the_dead_letter_queue_not_into_the_register(pe):
    coach, number = pe.jobcoach(), _number()
    _register(pe, coach, number)
    before = pe.counts()
    event_id = pe.publish(NOLOC, _completion(number, amount="900", unit="sbu"))
    queue = pe.settings.queue("events")
    wait_for(lambda: any(letter.event_id == str(event_id)
                         for letter in list_dead_letters(pe.infra.amqp_url, queue)), timeout=20,
             message="the dead letter")
    assert pe.counts() == before


def test_completions_go_to_the_certificate_holder_not_to_whoever_gives_the_number(pe):
    """Issue 11: a stranger who registered (and verified their own address) with a member's number used to
    receive that member's Noloc Academie points."""
    number = _number()
    stranger = pe.person("jobcoach")
    _register(pe, stranger, number)
    data = _completion(number)

    pe.publish_and_wait(NOLOC, data)

    assert _activities(pe, stranger) == []
    assert pe.scalar("SELECT count(*) FROM pending_noloc_activities WHERE membership_number = %s",
                     (number,)) == 1
    # The member verifies the address Noloc holds: assessment links the certificate, the points follow.
    holder = pe.person("jobcoach")
    _register(pe, holder, number)
    assert _activities(pe, holder) == []  # the number alone still proves nothing
    pe.publish_and_wait("certification.certificate.registered", {
        "certificate_id": uuid.uuid4(), "certificate_number": f"RJ-{uuid.uuid4().hex[:8]}",
        "account_id": holder.account_id, "valid_from": today() - timedelta(days=365),
        "valid_until": today() + timedelta(days=3 * 365), "register_fee_paid_until": None},
        subject=holder.account_id)
    assert [a["external_id"] for a in _activities(pe, holder)] == [data["external_id"]]
    pe.publish_and_wait(NOLOC, _completion(number))
    assert len(_activities(pe, holder)) == 2 and _activities(pe, stranger) == []
