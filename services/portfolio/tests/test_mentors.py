"""The mentors' use cases (ADR 0028) against the fake unit of work: the list for members only, the invitation
with consent, read-only reading and comments while it runs, and its end."""
from __future__ import annotations

import uuid

import pytest

from recert_common.auth import Principal, Role
from recert_common.domain_errors import NotFoundError
from recert_portfolio.mentors import ConsentMissing, MentorRefusal, MentorsForMembersOnly, MentorshipConflict

CONSENT = {"drafts": True, "meetings": True, "pe_summary": True}


def _principal(account_id, *roles):
    return Principal(account_id=account_id, roles=frozenset(roles), amr=frozenset(), token="", claims={})


def _person(world, roles, *, kind=None, name="Mila Mentor"):
    account_id = uuid.uuid4()
    world.event("identity.account.registered", {
        "account_id": account_id, "email": f"{account_id}@example.org", "full_name": name, "roles": roles,
        "membership_kind": kind, "membership_number": "12345678" if kind else None,
        "preferred_language": "nl"})
    return account_id


def _mentor(world, name="Mila Mentor"):
    return _person(world, ["mentor"], name=name)


def test_the_list_is_for_members_with_name_region_and_text(world):
    coach = world.coach()
    mentor = _mentor(world)
    _person(world, ["assessor"])  # no mentor: not listed
    world.service.save_mentor_profile(_principal(mentor, Role.MENTOR), mentor, region=" Utrecht ",
                                      about="Twintig jaar jobcoach.")
    (listed,) = world.service.mentor_directory(_principal(coach.account_id, Role.JOBCOACH))
    assert (listed.account_id, listed.full_name, listed.region, listed.about) == (
        mentor, "Mila Mentor", "Utrecht", "Twintig jaar jobcoach.")
    affiliate = _person(world, ["jobcoach"], kind="affiliate", name="Eef Extern")
    with pytest.raises(MentorsForMembersOnly):
        world.service.mentor_directory(_principal(affiliate, Role.JOBCOACH))
    with pytest.raises(MentorsForMembersOnly):
        world.service.invite_mentor(affiliate, mentor, CONSENT)


def test_a_profile_is_edited_by_its_mentor_or_a_noloc_admin_only(world):
    mentor, other = _mentor(world), _mentor(world, "Otto Ander")
    with pytest.raises(NotFoundError):
        world.service.save_mentor_profile(_principal(other, Role.MENTOR), mentor, region="X", about="Y")
    admin = _principal(uuid.uuid4(), Role.NOLOC_ADMIN)
    saved = world.service.save_mentor_profile(admin, mentor, region="Zeeland", about="Kort.")
    assert saved.region == "Zeeland"
    assert world.service.mentor_profile(_principal(mentor, Role.MENTOR), mentor).about == "Kort."


def test_an_invitation_needs_consent_to_each_item_and_is_announced(world):
    coach, mentor = world.coach(), _mentor(world)
    with pytest.raises(ConsentMissing):
        world.service.invite_mentor(coach.account_id, mentor, {**CONSENT, "meetings": False})
    assert world.data.mentorships == {} and world.published("portfolio.mentorship.started") == []
    with pytest.raises(NotFoundError):  # an account that is no mentor
        world.service.invite_mentor(coach.account_id, _person(world, ["assessor"]), CONSENT)
    mentorship = world.service.invite_mentor(coach.account_id, mentor, CONSENT)
    assert mentorship.active and mentorship.shared == ("drafts", "meetings", "pe_summary")
    (started,) = world.published("portfolio.mentorship.started")
    assert started.data["mentor_id"] == str(mentor) and started.data["account_id"] == str(coach.account_id)
    with pytest.raises(MentorshipConflict) as again:
        world.service.invite_mentor(coach.account_id, mentor, CONSENT)
    assert again.value.reason == MentorRefusal.ALREADY_MENTOR


def test_the_mentor_reads_and_comments_while_it_runs_and_nothing_once_it_ended(world):
    coach, mentor = world.coach(), _mentor(world)
    world.certificate(coach)
    world.service.save_part(coach.account_id, "A2", text="Mijn terugblik.")
    as_mentor = _principal(mentor, Role.MENTOR)
    mentorship = world.service.invite_mentor(coach.account_id, mentor, CONSENT)
    read = world.service.mentee_portfolio(as_mentor, mentorship.id)
    assert [(p.part, p.text) for p in read.parts][:2] == [("A1", ""), ("A2", "Mijn terugblik.")]
    stranger = _principal(_mentor(world, "Sam Vreemd"), Role.MENTOR)
    with pytest.raises(NotFoundError):
        world.service.mentee_portfolio(stranger, mentorship.id)
    with pytest.raises(NotFoundError):
        world.service.add_comment(stranger.account_id, mentorship.id, part="A2", text="Hm.")
    world.service.add_comment(mentor, mentorship.id, part="A2", text="Noem een voorbeeld.")
    (comment,) = world.service.received_comments(coach.account_id, "A2")
    assert (comment.text, comment.mentor_name) == ("Noem een voorbeeld.", "Mila Mentor")
    assert world.service.received_comments(coach.account_id, "A1") == []

    with pytest.raises(NotFoundError):  # only the jobcoach ends it
        world.service.end_mentorship(mentor, mentorship.id)
    ended = world.service.end_mentorship(coach.account_id, mentorship.id)
    assert not ended.active
    (event,) = world.published("portfolio.mentorship.ended")
    assert event.data["mentorship_id"] == str(mentorship.id)
    for call in (lambda: world.service.mentee_portfolio(as_mentor, mentorship.id),
                 lambda: world.service.mentorship_comments(as_mentor, mentorship.id),
                 lambda: world.service.add_comment(mentor, mentorship.id, part="A1", text="Nog iets.")):
        with pytest.raises(NotFoundError):
            call()
    assert world.service.mentorships(as_mentor) == []
    # The jobcoach keeps the comments; ending twice is refused.
    assert len(world.service.mentorship_comments(_principal(coach.account_id, Role.JOBCOACH),
                                                 mentorship.id)) == 1
    with pytest.raises(MentorshipConflict):
        world.service.end_mentorship(coach.account_id, mentorship.id)
    # Invited again later: a new mentorship.
    assert world.service.invite_mentor(coach.account_id, mentor, CONSENT).id != mentorship.id


def test_a_closed_account_ends_its_mentorships_as_jobcoach_and_as_mentor(world):
    """She closed her account and cannot log in to end the mentor's reading of her drafts: the closing
    (identity.account.disabled) ends it, once, and announces it as her own ending would."""
    coach, other = world.coach(), world.coach()
    mentor, leaving_mentor = _mentor(world), _mentor(world, "Lex Weg")
    hers = world.service.invite_mentor(coach.account_id, mentor, CONSENT)
    others = world.service.invite_mentor(other.account_id, leaving_mentor, CONSENT)
    untouched = world.service.invite_mentor(other.account_id, mentor, CONSENT)

    closed = {"account_id": coach.account_id, "disabled_by": None, "reason": "closed by its holder"}
    world.event("identity.account.disabled", closed)
    world.event("identity.account.disabled", closed)  # a second delivery ends nothing more
    world.event("identity.account.disabled", {"account_id": leaving_mentor, "disabled_by": None,
                                              "reason": "closed by its holder"})

    ended = world.published("portfolio.mentorship.ended")
    assert sorted(e.data["mentorship_id"] for e in ended) == sorted([str(hers.id), str(others.id)])
    with pytest.raises(NotFoundError):
        world.service.mentee_portfolio(_principal(mentor, Role.MENTOR), hers.id)
    assert world.service.mentee_portfolio(_principal(mentor, Role.MENTOR), untouched.id)
