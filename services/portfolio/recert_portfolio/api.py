"""Portfolio's HTTP API (all under /v1/portfolio).

Who sees what: a jobcoach works on their own current cycle and sees only their own cycles, meetings, proof
and submissions; an assessor sees only the snapshots (and their proof files) of cases assigned to them; a
DNV officer sees every cycle and snapshot. Anything else answers 404, as if it did not exist.
"""
from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, current_app, request, url_for
from flask_smorest import Blueprint

from recert_common.access_log import AccessLogPageSchema
from recert_common.auth import Role, current_principal, ensure_owner_or_roles, require_auth, require_roles
from recert_common.errors import UPLOAD_PROBLEMS, request_language
from recert_common.files import file_response, upload_filename
from recert_common.filetypes import UnsafeFilename, openapi_file_content, upload_rules
from recert_common.i18n import translate
from recert_common.schemas import PageQuerySchema, UploadRulesSchema, page_body
from recert_common.storage import ObjectNotFound, UploadTooLarge
from recert_common.web import answers
from recert_portfolio.domain import UNCHANGED, Meeting, Proof, Submission
from recert_portfolio.mentors import MENTOR_FEE, MENTOR_FEE_NOTE
from recert_portfolio.problems import (
    MeetingConflict,
    MentorsForMembers,
    MentorshipConflictProblem,
    PeChangedProblem,
    PortfolioLocked,
    PortfolioNotReady,
    StateConflict,
    SubmissionWindowClosed,
    SupplementAnnulledProblem,
    SupplementIncomplete,
    UploadProblem,
    WithdrawNotAllowed,
    not_found,
)
from recert_portfolio.schemas import (
    WEGWIJZER_ASSUMPTIONS,
    CalendarFeedSchema,
    CalendarQuerySchema,
    CommentInputSchema,
    CommentQuerySchema,
    CyclePageSchema,
    CycleQuerySchema,
    CycleSchema,
    MeetingInputSchema,
    MeetingSchema,
    MenteePortfolioSchema,
    MentorCommentSchema,
    MentorListSchema,
    MentorProfileInputSchema,
    MentorSchema,
    MentorshipInputSchema,
    MentorshipSchema,
    PartInputSchema,
    PartSchema,
    ReadinessSchema,
    SubmissionDetailSchema,
    SubmissionPageSchema,
    SubmissionQuerySchema,
    SubmissionSchema,
    SupplementSchema,
    WegwijzerSchema,
    WithdrawInputSchema,
    readiness_body,
)
from recert_portfolio.service import PortfolioService

current = Blueprint("current-cycle", __name__, url_prefix="/v1/portfolio/cycles/current",
                    description="The jobcoach's own cycle in progress: parts, meetings, readiness, submit.")
cycles = Blueprint("cycles", __name__, url_prefix="/v1/portfolio/cycles",
                   description="Cycles by id: the owner and DNV officers.")
meetings = Blueprint("meetings", __name__, url_prefix="/v1/portfolio/meetings",
                     description="Reflection meetings by id, and their proof files.")
submissions = Blueprint("submissions", __name__, url_prefix="/v1/portfolio/submissions",
                        description="Submitted snapshots: the owner, the assigned assessor and DNV officers.")
access = Blueprint("access-log", __name__, url_prefix="/v1/portfolio/access-log",
                   description="Who else read the jobcoach's portfolio, proofs and snapshots (the AVG).")
wegwijzer = Blueprint("wegwijzer", __name__, url_prefix="/v1/portfolio/wegwijzer",
                      description="The jobcoach's personal wegwijzer: milestones, next step, PE pace, and "
                                  "the secret address of its calendar feed (ADR 0026).")
calendar = Blueprint("calendar", __name__, url_prefix="/v1/portfolio/calendar",
                     description="The wegwijzer as an iCalendar feed, public by its secret token (no login).")
BLUEPRINTS = (current, cycles, meetings, submissions, access, wegwijzer, calendar)

_UPLOAD_BODY = {
    "required": True,
    "description": "The file itself as the body (PDF, PNG, JPEG, plain text or e-mail; its type is read from "
                   "its first bytes). Name it with ?filename= or a Content-Disposition header.",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}
_FILE_RESPONSE = {"200": {"description": "The file, streamed.", "content": openapi_file_content()}}


def _service() -> PortfolioService:
    return current_app.extensions["portfolio"]


def _me() -> UUID:
    return current_principal().account_id


def _part_arguments(data: dict[str, Any]) -> dict[str, Any]:
    return {"text": data["text"], "declared": data.get("executive_jobcoach_declared"),
            "declared_now": data.get("currently_executive_jobcoach_declared"),
            "meeting_id": data.get("meeting_id", UNCHANGED)}


# --- the current cycle -----------------------------------------------------------------------------------


@current.get("")
@answers(404)
@require_roles(Role.JOBCOACH)
@current.response(200, CycleSchema)
def get_current():
    """The cycle in progress with its parts, meetings and supplement; 404 when there is none."""
    return _service().current(_me())


@current.put("/parts/<string:part>")
@answers(StateConflict, PortfolioLocked)
@require_roles(Role.JOBCOACH)
@current.arguments(PartInputSchema)
@current.response(200, PartSchema)
def save_part(data: dict[str, Any], part: str):
    """Save a draft of A1, A2, A3 or A4. Refused (409) once submitted, except parts a supplement reopened."""
    return _service().save_part(_me(), part, **_part_arguments(data))


@current.get("/meetings")
@answers(404)
@require_roles(Role.JOBCOACH)
@current.response(200, MeetingSchema(many=True))
def list_meetings():
    # A list, not the service's tuple: flask-smorest reads a returned tuple as (body, status, headers).
    return list(_service().meetings(_me()))


@current.post("/meetings")
@answers(404, PortfolioLocked)
@require_roles(Role.JOBCOACH)
@current.arguments(MeetingInputSchema)
@current.response(201, MeetingSchema)
def add_meeting(data: dict[str, Any]):
    """Add a reflection meeting; its proof is uploaded next (meetings from Noloc arrive by themselves)."""
    meeting = _service().add_meeting(_me(), **data)
    return meeting, 201, {"Location": url_for("meetings.get_meeting", meeting_id=meeting.id)}


@current.get("/readiness")
@answers(404)
@require_roles(Role.JOBCOACH)
@current.response(200, ReadinessSchema)
def readiness():
    """Per part what is still missing, the reflection meetings required for the expiry year, and PE."""
    view, result = _service().readiness(_me())
    return readiness_body(view, result, request_language())


@current.post("/submit")
@answers(404, StateConflict, PortfolioNotReady, SubmissionWindowClosed, PeChangedProblem, 502, 503, 504)
@require_roles(Role.JOBCOACH)
@current.response(201, SubmissionSchema)
def submit():
    """Submit to DNV: only inside the window and when nothing is missing; freezes a snapshot. The PE
    activities it names are held read-only in the PE registry first (ADR 0044): 409
    ``pe-changed-while-submitting`` when one changed a moment ago (submit again shortly), 503 when the PE
    registry cannot be reached (nothing submitted either way)."""
    submission = _service().submit(_me(), token=current_principal().token)
    return submission, 201, {"Location": url_for("submissions.get_submission", submission_id=submission.id)}


@current.post("/withdraw")
@answers(404, StateConflict, WithdrawNotAllowed)
@require_roles(Role.JOBCOACH)
@current.arguments(WithdrawInputSchema, required=False)
@current.response(202, CycleSchema)
def withdraw(data: dict[str, Any]):
    """Ask to withdraw the submitted portfolio; possible until an assessor is assigned. Assessment decides
    within moments (ADR 0041): meanwhile the cycle shows ``withdrawal.state`` pending; once granted the
    cycle is open again and the parts can be edited, and if an assessor came first it shows refused."""
    return _service().withdraw(_me(), (data or {}).get("reason")), 202


@current.get("/supplement")
@answers(404)
@require_roles(Role.JOBCOACH)
@current.response(200, SupplementSchema)
def get_supplement():
    """The supplementary assignments of DNV's postponed decision, per part, with the due date (3 months
    from the decision date); 404 when there are none. The assessor's advice alone opens nothing: the
    supplement exists from DNV's postponed decision on (ADR 0011). 404 too once an upheld objection annulled
    the decision with its supplement: nothing is asked of the jobcoach any more (the cycle's ``supplement``
    shows it, state annulled)."""
    return _service().supplement(_me())


@current.put("/supplement/parts/<string:part>")
@answers(StateConflict, PortfolioLocked, SupplementAnnulledProblem)
@require_roles(Role.JOBCOACH)
@current.arguments(PartInputSchema)
@current.response(200, PartSchema)
def save_supplement_part(data: dict[str, Any], part: str):
    """Revise a part DNV's postponed decision reopened, until its due date; 409 ``supplement-annulled`` once
    an upheld objection annulled the decision with its supplement."""
    return _service().save_part(_me(), part, supplement_only=True, **_part_arguments(data))


@current.post("/supplement/submit")
@answers(404, StateConflict, SubmissionWindowClosed, SupplementIncomplete, SupplementAnnulledProblem,
         PeChangedProblem, 502, 503, 504)
@require_roles(Role.JOBCOACH)
@current.response(201, SubmissionSchema)
def submit_supplement():
    """Submit the supplement for reassessment (every reopened part revised, up to and including the due
    date). Then the reassessment fee is invoiced; once paid, the same assessor reassesses (or, for part B
    after a failed PE check, DNV checks the PE again) and DNV decides again. With part B, the PE activities
    are held first, as for ``submit``. 409 ``supplement-annulled`` once an upheld objection annulled the
    postponed decision with its supplement: DNV checks the PE of the submitted portfolio again, and nothing
    is to be handed in."""
    submission = _service().submit_supplement(_me(), token=current_principal().token)
    return submission, 201, {"Location": url_for("submissions.get_submission", submission_id=submission.id)}


# --- cycles by id ----------------------------------------------------------------------------------------


@cycles.get("")
@require_roles(Role.JOBCOACH, Role.DNV_OFFICER)
@cycles.arguments(CycleQuerySchema, location="query")
@cycles.response(200, CyclePageSchema)
def list_cycles(query: dict[str, Any]):
    """A jobcoach's own cycles, newest first; DNV officers see all (optionally of one account_id)."""
    principal = current_principal()
    account_id = query.get("account_id") if principal.has_any_role(Role.DNV_OFFICER) else principal.account_id
    items, total = _service().list_cycles(account_id=account_id, page=query["page"],
                                          page_size=query["page_size"])
    return page_body([{"cycle": cycle} for cycle in items], total, query)


@cycles.get("/<uuid:cycle_id>")
@require_roles(Role.JOBCOACH, Role.DNV_OFFICER)
@cycles.response(200, CycleSchema)
def get_cycle(cycle_id: UUID):
    view = _service().cycle(cycle_id)
    if view is None:
        raise not_found()
    ensure_owner_or_roles(view.cycle.account_id, Role.DNV_OFFICER, problem=not_found())
    _service().log_read(current_principal(), view.cycle.account_id, "cycle", cycle_id)
    return view


# --- meetings and their proof ----------------------------------------------------------------------------


def _visible_meeting(meeting_id: UUID) -> Meeting:
    meeting = _service().meeting(meeting_id)
    if meeting is None:
        raise not_found()
    ensure_owner_or_roles(meeting.account_id, Role.DNV_OFFICER, problem=not_found())
    return meeting


@meetings.get("/proof-rules")
@require_auth
@meetings.response(200, UploadRulesSchema)
def proof_rules():
    """What a meeting's proof may be, so that a frontend can say so before the upload: the types (decided
    by the file's content, with the extensions its name may carry) and the largest size this deployment
    takes (RECERT_PORTFOLIO_PROOF_MAX_BYTES). An upload is still checked against them."""
    return upload_rules(_service().settings.proof_max_bytes, request_language())


@meetings.get("/<uuid:meeting_id>")
@require_roles(Role.JOBCOACH, Role.DNV_OFFICER)
@meetings.response(200, MeetingSchema)
def get_meeting(meeting_id: UUID):
    meeting = _visible_meeting(meeting_id)
    _service().log_read(current_principal(), meeting.account_id, "meeting", meeting_id)
    return meeting


@meetings.delete("/<uuid:meeting_id>")
@answers(MeetingConflict, PortfolioLocked)
@require_roles(Role.JOBCOACH)
@meetings.response(204)
def delete_meeting(meeting_id: UUID):
    """Remove a meeting one entered (not one from Noloc, nor the one the reflection report is about)."""
    _service().delete_meeting(_me(), meeting_id)


def _upload_filename() -> str | None:
    try:
        return upload_filename(request)
    except UnsafeFilename as refusal:  # a filename* that does not decode
        raise UploadProblem(refusal) from None


@meetings.post("/<uuid:meeting_id>/proof")
@answers(MeetingConflict, PortfolioLocked, *UPLOAD_PROBLEMS)
@require_roles(Role.JOBCOACH)
@meetings.doc(requestBody=_UPLOAD_BODY, parameters=[{"name": "filename", "in": "query", "required": False,
                                                     "schema": {"type": "string"}}])
@meetings.response(201, MeetingSchema)
def upload_proof(meeting_id: UUID):
    """Upload the proof of attending (streamed; at most RECERT_PORTFOLIO_PROOF_MAX_BYTES, 20 MB by default).
    A new upload replaces the previous proof."""
    limit = _service().settings.proof_max_bytes
    if request.content_length is not None and request.content_length > limit:
        raise UploadProblem(UploadTooLarge(limit))
    # The app-wide body limit is for JSON; this view streams, and put_stream stops at the proof limit.
    request.max_content_length = limit + 1
    meeting = _service().upload_proof(_me(), meeting_id, request.stream, filename=_upload_filename())
    return meeting, 201, {"Location": url_for("meetings.download_proof", meeting_id=meeting_id)}


def _file_response(proof: Proof) -> Response:
    try:
        chunks = _service().open_proof(proof)
    except ObjectNotFound:
        raise not_found() from None
    return file_response(chunks, filename=proof.filename or f"proof-{proof.id}", mimetype=proof.content_type,
                         length=chunks.info.size, headers={"X-Content-SHA256": proof.sha256})


@meetings.route("/<uuid:meeting_id>/proof", methods=["GET"])
@require_roles(Role.JOBCOACH, Role.DNV_OFFICER)
@meetings.doc(responses=_FILE_RESPONSE)
def download_proof(meeting_id: UUID):
    """The meeting's current proof file, streamed (404 when there is none)."""
    meeting = _visible_meeting(meeting_id)
    if meeting.proof is None:
        raise not_found()
    _service().log_read(current_principal(), meeting.account_id, "proof", meeting.proof.id,
                        meeting.proof.filename)
    return _file_response(meeting.proof)


# --- the access log --------------------------------------------------------------------------------------


@access.get("")
@require_roles(Role.JOBCOACH)
@access.arguments(PageQuerySchema, location="query")
@access.response(200, AccessLogPageSchema)
def access_log(query: dict[str, Any]):
    """Who else (an assessor, a DNV officer) read one's cycles, meeting proofs and submitted snapshots, and
    when: latest first."""
    items, total = _service().access_log(_me(), page=query["page"], page_size=query["page_size"])
    return page_body(items, total, query)


# --- submissions -----------------------------------------------------------------------------------------


def _visible_submission(submission_id: UUID) -> Submission:
    service = _service()
    submission = service.submission(submission_id)
    if submission is None or not service.may_read(current_principal(), submission):
        raise not_found()
    return submission


@submissions.get("")
@require_roles(Role.JOBCOACH, Role.ASSESSOR, Role.DNV_OFFICER)
@submissions.arguments(SubmissionQuerySchema, location="query")
@submissions.response(200, SubmissionPageSchema)
def list_submissions(query: dict[str, Any]):
    """DNV officers: all; assessors: those of their cases; a jobcoach: their own. Newest first."""
    items, total = _service().list_submissions(current_principal(), account_id=query.get("account_id"),
                                               cycle_id=query.get("cycle_id"), page=query["page"],
                                               page_size=query["page_size"])
    return page_body(items, total, query)


@submissions.get("/<uuid:submission_id>")
@require_roles(Role.JOBCOACH, Role.ASSESSOR, Role.DNV_OFFICER)
@submissions.response(200, SubmissionDetailSchema)
def get_submission(submission_id: UUID):
    """The frozen snapshot with its hash."""
    submission = _visible_submission(submission_id)
    _service().log_read(current_principal(), submission.account_id, "submission", submission_id)
    return submission


@submissions.route("/<uuid:submission_id>/meetings/<uuid:meeting_id>/proof", methods=["GET"])
@require_roles(Role.JOBCOACH, Role.ASSESSOR, Role.DNV_OFFICER)
@submissions.doc(responses=_FILE_RESPONSE)
def download_submitted_proof(submission_id: UUID, meeting_id: UUID):
    """The proof file of a meeting as the snapshot lists it (also after the jobcoach replaced it)."""
    submission = _visible_submission(submission_id)
    proof = _service().submitted_proof(submission, meeting_id)
    if proof is None:
        raise not_found()
    _service().log_read(current_principal(), submission.account_id, "submitted_proof", proof.id,
                        proof.filename)
    return _file_response(proof)


# --- the wegwijzer (ADR 0026) ----------------------------------------------------------------------------

_CALENDAR_RESPONSE = {"200": {"description": "The milestones as all-day events (RFC 5545).",
                              "content": {"text/calendar": {"schema": {"type": "string"}}}}}


def _feed_body(feed_and_token) -> dict[str, Any]:
    feed, token = feed_and_token
    return {"path": f"/api/v1/portfolio/calendar?token={token}", "created_at": feed.created_at}


@wegwijzer.get("")
@answers(404)
@require_roles(Role.JOBCOACH)
@wegwijzer.response(200, WegwijzerSchema)
@wegwijzer.doc(description="The jobcoach's milestones (date, state, estimate), the next best step and the PE "
                           "pace, computed today from the cycle in progress; 404 when there is none. "
                           + WEGWIJZER_ASSUMPTIONS)
def get_wegwijzer():
    """The jobcoach's wegwijzer."""
    return _service().wegwijzer(_me())


@wegwijzer.get("/calendar")
@require_roles(Role.JOBCOACH)
@wegwijzer.response(200, CalendarFeedSchema)
def get_calendar_feed():
    """The current secret address of the jobcoach's calendar feed (made the first time it is asked for).
    503 when the platform has no calendar key."""
    return _feed_body(_service().calendar_feed(_me()))


@wegwijzer.post("/calendar/renew")
@require_roles(Role.JOBCOACH)
@wegwijzer.response(201, CalendarFeedSchema)
def renew_calendar_feed():
    """A new secret address for the feed: the old one answers 404 from now on."""
    return _feed_body(_service().renew_calendar_feed(_me()))


@calendar.route("", methods=["GET"])
@calendar.arguments(CalendarQuerySchema, location="query")
@calendar.doc(responses=_CALENDAR_RESPONSE)
@answers(404)
def calendar_feed(query: dict[str, Any]):
    """The wegwijzer of the token's owner as an iCalendar feed, for any calendar app; no login: the token is
    the secret (404 for a token that is not, or no longer, a feed's). Texts in ``lang`` (nl or en)."""
    body = _service().calendar(query["token"], query["lang"])
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="wegwijzer.ics"', "Cache-Control": "private, max-age=900"})
# --- mentors (ADR 0028) ----------------------------------------------------------------------------------

mentors = Blueprint("mentors", __name__, url_prefix="/v1/portfolio/mentors",
                    description="The mentor list for Noloc members, and each mentor's profile.")
mentorships = Blueprint("mentorships", __name__, url_prefix="/v1/portfolio/mentorships",
                        description="A jobcoach's mentors (invited with consent, ended at any time); a "
                                    "mentor's jobcoaches, their shared drafts and meetings (read-only) and "
                                    "comments.")
mentor_comments = Blueprint("mentor-comments", __name__, url_prefix="/v1/portfolio/mentor-comments",
                            description="The comments a jobcoach's mentors made, per part.")
BLUEPRINTS = (*BLUEPRINTS, mentors, mentorships, mentor_comments)

@mentors.get("")
@answers(MentorsForMembers)
@require_roles(Role.JOBCOACH, Role.NOLOC_ADMIN)
@mentors.response(200, MentorListSchema)
def list_mentors():
    """The mentors with name, region and a short text: for Noloc members (an external affiliate gets 403)
    and Noloc admins. The mentor's fee (€75) is paid to the mentor directly: the platform invoices nothing."""
    language = request_language()
    return {"items": _service().mentor_directory(current_principal()),
            "fee": {"amount": str(MENTOR_FEE), "currency": "EUR", "paid_to": "mentor",
                    "invoiced_by_platform": False, "note": translate(MENTOR_FEE_NOTE, language)}}


@mentors.get("/<uuid:mentor_id>")
@require_roles(Role.MENTOR, Role.NOLOC_ADMIN)
@mentors.response(200, MentorSchema)
def get_mentor(mentor_id: UUID):
    """A mentor's own profile; a Noloc admin reads any mentor's."""
    return _service().mentor_profile(current_principal(), mentor_id)


@mentors.put("/<uuid:mentor_id>")
@require_roles(Role.MENTOR, Role.NOLOC_ADMIN)
@mentors.arguments(MentorProfileInputSchema)
@mentors.response(200, MentorSchema)
def save_mentor(data: dict[str, Any], mentor_id: UUID):
    """The mentor (their own) or a Noloc admin sets the region and the short text of the list."""
    return _service().save_mentor_profile(current_principal(), mentor_id, region=data["region"],
                                          about=data["about"])


@mentorships.get("")
@require_roles(Role.JOBCOACH, Role.MENTOR)
@mentorships.response(200, MentorshipSchema(many=True))
def list_mentorships():
    """A jobcoach's mentors (running ones first, then the ended ones); a mentor's jobcoaches (running)."""
    return _service().mentorships(current_principal())


@mentorships.post("")
@answers(404, MentorsForMembers, MentorshipConflictProblem)
@require_roles(Role.JOBCOACH)
@mentorships.arguments(MentorshipInputSchema)
@mentorships.response(201, MentorshipSchema)
def invite_mentor(data: dict[str, Any]):
    """Invite a mentor with explicit consent to what is shared, read-only: the drafts of A1-A4, the
    reflection meetings and the PE summary (each consent must be true). The mentor reads from now on, until
    the jobcoach ends it; the mentor is never the jobcoach's assessor."""
    mentorship = _service().invite_mentor(_me(), data["mentor_id"], data["consent"])
    return mentorship, 201, {"Location": url_for("mentorships.mentee_portfolio", mentorship_id=mentorship.id)}


@mentorships.post("/<uuid:mentorship_id>/end")
@answers(MentorshipConflictProblem)
@require_roles(Role.JOBCOACH)
@mentorships.response(200, MentorshipSchema)
def end_mentorship(mentorship_id: UUID):
    """End the mentor's access at once: from now on the mentor gets 404 for everything of the jobcoach."""
    return _service().end_mentorship(_me(), mentorship_id)


@mentorships.get("/<uuid:mentorship_id>/portfolio")
@require_roles(Role.MENTOR)
@mentorships.response(200, MenteePortfolioSchema)
def mentee_portfolio(mentorship_id: UUID):
    """For the mentor while the mentorship runs: the jobcoach's current drafts and reflection meetings,
    read-only (404 once it has ended)."""
    found = _service().mentee_portfolio(current_principal(), mentorship_id)
    return {"mentorship": found.mentorship,
            "cycle": None if found.cycle is None else {"cycle": found.cycle},
            "parts": found.parts, "meetings": found.meetings}


@mentorships.get("/<uuid:mentorship_id>/comments")
@require_roles(Role.JOBCOACH, Role.MENTOR)
@mentorships.response(200, MentorCommentSchema(many=True))
def list_comments(mentorship_id: UUID):
    """The mentorship's comments, oldest first: for the jobcoach, and the mentor while it runs."""
    return _service().mentorship_comments(current_principal(), mentorship_id)


@mentorships.post("/<uuid:mentorship_id>/comments")
@require_roles(Role.MENTOR)
@mentorships.arguments(CommentInputSchema)
@mentorships.response(201, MentorCommentSchema)
def add_comment(data: dict[str, Any], mentorship_id: UUID):
    """The mentor comments on one part (A1-A4) while the mentorship runs."""
    return _service().add_comment(_me(), mentorship_id, part=data["part"], text=data["text"]), 201


@mentor_comments.get("")
@require_roles(Role.JOBCOACH)
@mentor_comments.arguments(CommentQuerySchema, location="query")
@mentor_comments.response(200, MentorCommentSchema(many=True))
def received_comments(query: dict[str, Any]):
    """Every comment one's mentors made (also of ended mentorships), optionally of one part; oldest first."""
    return _service().received_comments(_me(), query.get("part"))
