"""The mentors' use cases (ADR 0028), each in one unit of work: the state change and its events commit
together. ``PortfolioService`` inherits them, so the API reaches them as every other use case.

Who may do what: a Noloc member (a jobcoach) lists the mentors, invites one with consent and ends the
mentorship; the mentor reads the shared items of a running mentorship and comments per part; a mentor or a
Noloc admin edits the mentor's profile. A mentorship one may not see answers 404, as if it did not exist:
for the mentor, once it has ended.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from recert_common.auth import Principal, Role
from recert_common.domain_errors import NotFoundError
from recert_portfolio.domain import A_PARTS, Cycle, Meeting, Part
from recert_portfolio.mentors import (
    MentorAccount,
    MentorComment,
    MentorRefusal,
    Mentorship,
    MentorshipConflict,
    check_consent,
    check_member,
    may_read_as_mentor,
)


@dataclass(frozen=True)
class MenteePortfolio:
    """What a mentor reads of the jobcoach's current cycle: the drafts and the meetings."""

    mentorship: Mentorship
    cycle: Cycle | None
    parts: tuple[Part, ...]
    meetings: tuple[Meeting, ...]


class MentoringUseCases:
    uow: Callable[[], Any]
    now: Callable[[], datetime]
    today: Callable[[], date]

    # --- the mentor list and profiles --------------------------------------------------------------------

    def mentor_directory(self, principal: Principal) -> list[MentorAccount]:
        """The mentors, for Noloc members (and Noloc admins, who keep the list)."""
        with self.uow() as uow:
            if not principal.has_any_role(Role.NOLOC_ADMIN):
                check_member(uow.mentors.membership_kind_of(principal.account_id))
            return [m for m in uow.mentors.directory() if m.active]

    def _profile_of(self, uow: Any, principal: Principal, mentor_id: UUID) -> MentorAccount:
        mentor = uow.mentors.mentor(mentor_id)
        own = principal.account_id == mentor_id
        if mentor is None or not mentor.active or not (own or principal.has_any_role(Role.NOLOC_ADMIN)):
            raise NotFoundError()
        return mentor

    def mentor_profile(self, principal: Principal, mentor_id: UUID) -> MentorAccount:
        """A mentor's own profile (or any mentor's, for a Noloc admin)."""
        with self.uow() as uow:
            return self._profile_of(uow, principal, mentor_id)

    def save_mentor_profile(self, principal: Principal, mentor_id: UUID, *, region: str, about: str
                            ) -> MentorAccount:
        with self.uow() as uow:
            self._profile_of(uow, principal, mentor_id)
            uow.mentors.save_profile(mentor_id, region=region.strip(), about=about.strip(),
                                     by=principal.account_id)
            return uow.mentors.mentor(mentor_id)

    # --- mentorships -------------------------------------------------------------------------------------

    def invite_mentor(self, account_id: UUID, mentor_id: UUID, consent: dict[str, bool]) -> Mentorship:
        """The jobcoach invites a mentor with consent to each shared item; the mentor reads from now on."""
        now = self.now()
        with self.uow() as uow:
            check_member(uow.mentors.membership_kind_of(account_id))
            mentor = uow.mentors.mentor(mentor_id)
            if mentor is None or not mentor.active or mentor_id == account_id:
                raise NotFoundError()
            shared = check_consent(consent)
            mentorship = Mentorship(id=uuid.uuid4(), account_id=account_id, mentor_id=mentor_id,
                                    shared=shared, consented_at=now, started_at=now)
            if not uow.mentors.add(mentorship):
                raise MentorshipConflict(reason=MentorRefusal.ALREADY_MENTOR)
            uow.publish("portfolio.mentorship.started", {
                "mentorship_id": mentorship.id, "account_id": account_id, "mentor_id": mentor_id,
                "shared": list(shared), "started_at": now,
            }, subject=account_id)
            return uow.mentors.get(mentorship.id)

    def mentorships(self, principal: Principal) -> list[Mentorship]:
        """A jobcoach's mentorships (running first, then ended ones); a mentor's running ones."""
        with self.uow() as uow:
            if principal.has_any_role(Role.JOBCOACH):
                return uow.mentors.of_jobcoach(principal.account_id)
            return uow.mentors.of_mentor(principal.account_id)

    def end_mentorship(self, account_id: UUID, mentorship_id: UUID) -> Mentorship:
        """The jobcoach ends the mentor's access, at once (409 when it has ended already)."""
        now = self.now()
        with self.uow() as uow:
            mentorship = uow.mentors.get(mentorship_id, for_update=True)
            if mentorship is None or mentorship.account_id != account_id:
                raise NotFoundError()
            return end(uow, mentorship, by=account_id, now=now)

    def _mentoring(self, uow: Any, mentor_id: UUID, mentorship_id: UUID) -> Mentorship:
        mentorship = uow.mentors.get(mentorship_id)
        if not may_read_as_mentor(mentorship, mentor_id):
            raise NotFoundError()
        return mentorship

    def mentee_portfolio(self, principal: Principal, mentorship_id: UUID) -> MenteePortfolio:
        """The jobcoach's drafts and meetings for the mentor, read-only; the read is logged (ADR 0020)."""
        with self.uow() as uow:
            mentorship = self._mentoring(uow, principal.account_id, mentorship_id)
            cycle = uow.cycles.current(mentorship.account_id)
            if cycle is None:
                return MenteePortfolio(mentorship, None, (), ())
            parts = uow.parts.of_cycle(cycle.id)
            uow.access_log.record(owner_id=mentorship.account_id, reader_id=principal.account_id,
                                  reader_roles=principal.roles, kind="cycle", object_id=cycle.id, label=None)
            drafts = tuple(parts.get(name) or Part(name) for name in A_PARTS)
            return MenteePortfolio(mentorship, cycle, drafts, uow.meetings.of_cycle(cycle.id))

    # --- comments ----------------------------------------------------------------------------------------

    def add_comment(self, mentor_id: UUID, mentorship_id: UUID, *, part: str, text: str) -> MentorComment:
        with self.uow() as uow:
            mentorship = self._mentoring(uow, mentor_id, mentorship_id)
            comment = MentorComment(id=uuid.uuid4(), mentorship_id=mentorship.id,
                                    account_id=mentorship.account_id, mentor_id=mentor_id, part=part,
                                    text=text.strip(), created_at=self.now(),
                                    mentor_name=mentorship.mentor_name)
            uow.mentors.add_comment(comment)
            return comment

    def mentorship_comments(self, principal: Principal, mentorship_id: UUID) -> list[MentorComment]:
        """For the jobcoach (also after the end) and the mentor (while it runs)."""
        with self.uow() as uow:
            mentorship = uow.mentors.get(mentorship_id)
            if mentorship is None or (mentorship.account_id != principal.account_id
                                      and not may_read_as_mentor(mentorship, principal.account_id)):
                raise NotFoundError()
            return uow.mentors.comments(mentorship_id=mentorship_id)

    def received_comments(self, account_id: UUID, part: str | None = None) -> list[MentorComment]:
        """Every comment the jobcoach's mentors made, optionally of one part; oldest first."""
        with self.uow() as uow:
            return [c for c in uow.mentors.comments(account_id=account_id) if part is None or c.part == part]


def end(uow: Any, mentorship: Mentorship, *, by: UUID, now: datetime) -> Mentorship:
    """End a running mentorship (locked by the caller) and announce it: pe-registry stops the mentor's
    reads, assessment keeps the past mentor from assessing the jobcoach."""
    ended = mentorship.ended(by=by, now=now)
    uow.mentors.save_end(ended)
    uow.publish("portfolio.mentorship.ended", {
        "mentorship_id": ended.id, "account_id": ended.account_id, "mentor_id": ended.mentor_id,
        "started_at": ended.started_at, "ended_at": now,
    }, subject=ended.account_id)
    return ended


__all__ = ["MenteePortfolio", "MentoringUseCases", "end"]

