"""The authorization matrix, proven against the running system: every operation of the gateway's merged
OpenAPI document, asked well (``system_actors.OPERATIONS``) by each kind of caller, gets exactly the answer
the design allows.

The callers: nobody (no token), the jobcoach who owns the resource, another jobcoach, the assessor assigned to
the owner's case and one who is not, a DNV officer, a Noloc admin, a mentor and DNV's support staff. The rules
(DESIGN.md section 4 and each service's api.py): public routes (registration and its e-mailed link, login, the
password reset, refresh, logout, JWKS, the register, the signed payment webhook, the credentials' keys,
status list and verification) are open to anyone;
everything else is 401 without a token; a route for jobcoaches is 403 for staff and a staff route 403 for
jobcoaches; someone else's resource is 404, never 403, and looks exactly like one that does not exist; an
assessor sees only the cases assigned to them (others 404).

An operation the document gains without a row here fails the test; so does a row for an operation it lost.
Where the system answers otherwise than the design allows, the cell keeps the design's answer and
``FINDINGS`` names the difference; the test xfails on exactly that difference (and fails once it is gone,
so that the entry is removed).

Each row is asked by the callers the design refuses first, so that a refused request that had an effect
(a deletion, a decision) shows in the allowed caller's answer after it. Rows run in table order: the
requests that move the case on (the objection's outcome, the supplement) come last.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from recert_common.auth import access_token_claims, sign_token
from recert_gateway.routes import ROUTES, split_path

from system_actors import OPERATIONS, TODAY, Operation, World, world_fixture

PREFIX = "/api/v1"
CALLERS = ("anonymous", "owner", "other_jobcoach", "assessor", "other_assessor", "dnv_officer", "noloc_admin",
           "mentor", "dnv_support")
DENIED = (401, 403, 404)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# What each caller gets; columns in the order of CALLERS:
#  anon   = no token                    owner  = the jobcoach whose resource it is (or their own things)
#  other  = another jobcoach            asg    = the assessor assigned to the owner's case
#  unasg  = an assessor not assigned    dnv    = a DNV officer            admin = a Noloc admin
#  mentor = a mentor                    supp   = DNV's support staff (dnv_support)
# Answers that are not a refusal are those a well-formed request gets in the world's state: the case is in
# supplement_due with a decision and an objection, so steps out of order are 409 (or 422 for a decision
# before the supplement's due date), which shows the caller got past the authorization.
MATRIX: dict[str, tuple[int, ...]] = {
    #                                                          anon owner other asg unasg  dnv admin mnt supp
    # identity: public, one's own account, administration by a Noloc admin
    "GET /.well-known/jwks.json":                              (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /support":                                            (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /accounts":                                          (202, 202, 202, 202, 202, 202, 202, 202, 202),
    "POST /accounts/verify-email":                             (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /accounts/me":                                        (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "PATCH /accounts/me":                                      (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /accounts/me/password":                              (401, 204, 204, 204, 204, 204, 204, 204, 204),
    "GET /admin/accounts":                                     (401, 403, 403, 403, 403, 403, 200, 403, 403),
    "POST /admin/accounts":                                    (401, 403, 403, 403, 403, 403, 201, 403, 403),
    "GET /admin/accounts/{account_id}":                        (401, 403, 403, 403, 403, 403, 200, 403, 403),
    "POST /admin/accounts/{account_id}/disable":               (401, 403, 403, 403, 403, 403, 200, 403, 403),
    # DNV's support (a DNV officer) resets an assessor's app; the admin after them finds nothing to reset;
    # DNV's support staff may reset only from a service request, which this request does not name (ADR 0029)
    "POST /admin/accounts/{account_id}/totp-reset":            (401, 403, 403, 403, 403, 200, 409, 403, 422),
    "POST /auth/login":                                        (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /auth/login/verify":                                 (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /auth/logout":                                       (204, 204, 204, 204, 204, 204, 204, 204, 204),
    "POST /auth/refresh":                                      (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /auth/password-reset":                               (202, 202, 202, 202, 202, 202, 202, 202, 202),
    "POST /auth/password-reset/confirm":                       (204, 204, 204, 204, 204, 204, 204, 204, 204),
    # assessment: each reader their own cases; DNV every case; the assigned assessor advises
    "GET /cases":                                              (401, 200, 200, 200, 200, 200, 403, 403, 403),
    "GET /cases/counts":                                       (401, 403, 403, 403, 403, 200, 403, 403, 403),
    "GET /cases/overdue":                                      (401, 403, 403, 403, 403, 200, 403, 403, 403),
    "GET /cases/{case_id}":                                    (401, 200, 404, 200, 404, 200, 403, 403, 403),
    "POST /cases/{case_id}/advice":                            (401, 403, 403, 409, 404, 403, 403, 403, 403),
    "POST /cases/{case_id}/assessor":                          (401, 403, 403, 403, 403, 409, 403, 403, 403),
    "GET /cases/{case_id}/assessors":                          (401, 403, 403, 403, 403, 200, 403, 403, 403),
    "GET /cases/{case_id}/audit":                              (401, 403, 403, 403, 403, 200, 403, 403, 403),
    "POST /cases/{case_id}/decision":                          (401, 403, 403, 403, 403, 422, 403, 403, 403),
    "GET /cases/{case_id}/form":                               (401, 200, 404, 200, 404, 200, 403, 403, 403),
    "GET /cases/{case_id}/form.pdf":                           (401, 200, 404, 200, 404, 200, 403, 403, 403),
    "POST /cases/{case_id}/objections":                        (401, 409, 404, 403, 403, 403, 403, 403, 403),
    "GET /cases/{case_id}/pe-check":                           (401, 403, 403, 200, 404, 200, 403, 403, 403),
    "POST /cases/{case_id}/pe-check":                          (401, 403, 403, 403, 403, 409, 403, 403, 403),
    "POST /cases/{case_id}/pe-check/rejections":               (401, 403, 403, 403, 403, 409, 403, 403, 403),
    "DELETE /cases/{case_id}/pe-check/rejections/{activity_id}":
                                                               (401, 403, 403, 403, 403, 409, 403, 403, 403),
    # assessment: certificates (the holder; DNV and Noloc all) and the public register
    "GET /certificates":                                       (401, 403, 403, 403, 403, 200, 200, 403, 403),
    "POST /certificates/import":                               (401, 403, 403, 403, 403, 200, 200, 403, 403),
    "GET /certificates/mine":                                  (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "GET /certificates/{certificate_id}":                      (401, 200, 404, 403, 403, 200, 200, 403, 403),
    "POST /certificates/{certificate_id}/claim-codes":         (401, 403, 403, 403, 403, 201, 201, 403, 403),
    "POST /certificates/claim":                                (401, 422, 422, 403, 403, 403, 403, 403, 403),
    "GET /register":                                           (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /register/{certificate_number}":                      (200, 200, 200, 200, 200, 200, 200, 200, 200),
    # the gateway's composed answers, one role each
    "GET /dashboard":                                          (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "GET /worklist":                                           (401, 403, 403, 200, 200, 403, 403, 403, 403),
    "GET /overview":                                           (401, 403, 403, 403, 403, 200, 403, 403, 403),
    "GET /my-data/archive":                                    (401, 200, 200, 403, 403, 403, 403, 403, 403),
    # billing: the jobcoach their own invoices, DNV those DNV issued (this one), Noloc Noloc's: 404 here
    "GET /invoices":                                           (401, 200, 200, 403, 403, 200, 200, 403, 403),
    "GET /invoices/{invoice_id}":                              (401, 200, 404, 403, 403, 200, 404, 403, 403),
    "GET /invoices/{invoice_id}/pdf":                          (401, 200, 404, 403, 403, 200, 404, 403, 403),
    "GET /invoices/{invoice_id}/credit-note/pdf":              (401, 200, 404, 403, 403, 200, 404, 403, 403),
    # signed by the payment provider, not by a token: anyone may deliver it (an unknown invoice: kept)
    "POST /payments/webhook":                                  (202, 202, 202, 202, 202, 202, 202, 202, 202),
    # notifications: everyone their own inbox; failed e-mail seen by Noloc admins and DNV, sent again by Noloc
    "GET /messages":                                           (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /messages/unread-count":                              (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /messages/read-all":                                 (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /messages/failed":                                    (401, 403, 403, 403, 403, 200, 200, 403, 403),
    "GET /messages/{message_id}":                              (401, 200, 404, 404, 404, 404, 404, 404, 404),
    "POST /messages/{message_id}/read":                        (401, 200, 404, 404, 404, 404, 404, 404, 404),
    "POST /messages/{message_id}/retry":                       (401, 403, 403, 403, 403, 403, 200, 403, 403),
    # notifications: the service desk (issue 14, ADR 0029): everyone their own requests (anyone else's 404),
    # a logged-out person by the e-mailed links (no token), DNV's support staff the queue
    "POST /desk/requests":                                     (401, 201, 201, 201, 201, 201, 201, 201, 201),
    "GET /desk/requests":                                      (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /desk/requests/{request_id}":                         (401, 200, 404, 404, 404, 404, 404, 404, 404),
    "POST /desk/requests/{request_id}/replies":                (401, 201, 404, 404, 404, 404, 404, 404, 404),
    "POST /desk/requests/{request_id}/attachments":            (401, 201, 404, 404, 404, 404, 404, 404, 404),
    "GET /desk/requests/{request_id}/attachments/{attachment_id}":
                                                               (401, 200, 404, 404, 404, 404, 404, 404, 404),
    "GET /desk/attachment-rules":                              (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /desk/public/requests":                              (202, 202, 202, 202, 202, 202, 202, 202, 202),
    "POST /desk/public/confirm":                               (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /desk/public/thread":                                (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /desk/public/replies":                               (201, 201, 201, 201, 201, 201, 201, 201, 201),
    "GET /desk/queue":                                         (401, 403, 403, 403, 403, 403, 403, 403, 200),
    "GET /desk/queue/{request_id}":                            (401, 403, 403, 403, 403, 403, 403, 403, 200),
    "POST /desk/queue/{request_id}/answers":                   (401, 403, 403, 403, 403, 403, 403, 403, 201),
    "POST /desk/queue/{request_id}/state":                     (401, 403, 403, 403, 403, 403, 403, 403, 200),
    "GET /desk/queue/{request_id}/attachments/{attachment_id}":
                                                               (401, 403, 403, 403, 403, 403, 403, 403, 200),
    # pe-registry: the jobcoach records; the owner and DNV read; the assigned assessor reads the case's
    # snapshot only while it is assessed (ADR 0017): here it is decided (postponed), so 404 as for anyone else
    "GET /pe/categories":                                      (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /pe/evidence-rules":                                  (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /portfolio/meetings/proof-rules":                     (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /pe/summary":                                         (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "GET /pe/activities":                                      (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "POST /pe/activities":                                     (401, 201, 201, 403, 403, 403, 403, 403, 403),
    "GET /pe/activities/{activity_id}":                        (401, 200, 404, 404, 404, 200, 404, 404, 404),
    "PATCH /pe/activities/{activity_id}":                      (401, 200, 404, 403, 403, 403, 403, 403, 403),
    "DELETE /pe/activities/{activity_id}":                     (401, 204, 404, 403, 403, 403, 403, 403, 403),
    "POST /pe/activities/{activity_id}/evidence":              (401, 201, 404, 403, 403, 403, 403, 403, 403),
    "GET /pe/evidence/{evidence_id}":                          (401, 200, 404, 404, 404, 200, 404, 404, 404),
    "GET /pe/evidence/{evidence_id}/content":                  (401, 200, 404, 404, 404, 200, 404, 404, 404),
    "DELETE /pe/evidence/{evidence_id}":                       (401, 204, 404, 403, 403, 403, 403, 403, 403),
    "GET /pe/accounts/{account_id}/activities":                (401, 200, 404, 404, 404, 200, 404, 404, 404),
    # ... and the jobcoach's mentor reads her summary (not her activities) while the mentorship runs
    "GET /pe/accounts/{account_id}/summary":                   (401, 200, 404, 404, 404, 200, 404, 200, 404),
    # the AVG: a jobcoach sees who else read their evidence / portfolio (their own log; staff have none)
    "GET /pe/access-log":                                      (401, 200, 200, 403, 403, 403, 403, 403, 403),
    # evidence read for the jobcoach (issue 14): one's own readings only; staff have none (403), another
    # jobcoach finds none of the owner's (404); anyone logged in may read what a document may be
    "GET /pe/reading-rules":                                   (401, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /pe/readings":                                       (401, 202, 202, 403, 403, 403, 403, 403, 403),
    "GET /pe/readings":                                        (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "GET /pe/readings/{reading_id}":                           (401, 200, 404, 403, 403, 403, 403, 403, 403),
    "POST /pe/readings/{reading_id}/confirm":                  (401, 201, 404, 403, 403, 403, 403, 403, 403),
    "DELETE /pe/readings/{reading_id}":                        (401, 204, 404, 403, 403, 403, 403, 403, 403),
    "GET /portfolio/access-log":                               (401, 200, 200, 403, 403, 403, 403, 403, 403),
    # portfolio: the jobcoach's own cycle in progress (the other jobcoach's is submitted: 409, or has no
    # supplement: 404); cycles and meetings by id for the owner and DNV; snapshots also for the assessor
    "GET /portfolio/cycles/current":                           (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "PUT /portfolio/cycles/current/parts/{part}":              (401, 200, 409, 403, 403, 403, 403, 403, 403),
    "GET /portfolio/cycles/current/meetings":                  (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "POST /portfolio/cycles/current/meetings":                 (401, 201, 409, 403, 403, 403, 403, 403, 403),
    "GET /portfolio/cycles/current/readiness":                 (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "POST /portfolio/cycles/current/submit":                   (401, 409, 409, 403, 403, 403, 403, 403, 403),
    "POST /portfolio/cycles/current/withdraw":                 (401, 409, 409, 403, 403, 403, 403, 403, 403),
    "GET /portfolio/cycles/current/supplement":                (401, 200, 404, 403, 403, 403, 403, 403, 403),
    "PUT /portfolio/cycles/current/supplement/parts/{part}":   (401, 200, 409, 403, 403, 403, 403, 403, 403),
    "GET /portfolio/cycles":                                   (401, 200, 200, 403, 403, 200, 403, 403, 403),
    "GET /portfolio/cycles/{cycle_id}":                        (401, 200, 404, 403, 403, 200, 403, 403, 403),
    "GET /portfolio/meetings/{meeting_id}":                    (401, 200, 404, 403, 403, 200, 403, 403, 403),
    "DELETE /portfolio/meetings/{meeting_id}":                 (401, 204, 404, 403, 403, 403, 403, 403, 403),
    "GET /portfolio/meetings/{meeting_id}/proof":              (401, 200, 404, 403, 403, 200, 403, 403, 403),
    "POST /portfolio/meetings/{meeting_id}/proof":             (401, 201, 404, 403, 403, 403, 403, 403, 403),
    "GET /portfolio/submissions":                              (401, 200, 200, 200, 200, 200, 403, 403, 403),
    # ... the assigned assessor reads the snapshot and its proofs only while the case is assessed, as in
    # pe-registry (ADR 0017): decided (postponed, the supplement not yet in) here, so 404 as for anyone else
    "GET /portfolio/submissions/{submission_id}":              (401, 200, 404, 404, 404, 200, 403, 403, 403),
    "GET /portfolio/submissions/{submission_id}/meetings/{meeting_id}/proof":
                                                               (401, 200, 404, 404, 404, 200, 403, 403, 403),
    # verifiable credentials (issue 14, ADR 0030): the holder downloads; DNV revokes (after the holder's
    # download made one); anyone fetches the keys, the issuer and the status list and verifies; a Noloc admin
    # rotates the issuer key
    "GET /certificates/mine/credential":                       (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "GET /certificates/mine/credential.pdf":                   (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "POST /certificates/{certificate_id}/credential/revoke":   (401, 403, 403, 403, 403, 200, 403, 403, 403),
    "GET /credentials/keys":                                   (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /credentials/issuer":                                 (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /credentials/status/{number}":                        (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /credentials/verify":                                (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "GET /credentials/{credential_id}/verification":           (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "POST /credentials/keys/rotate":                           (401, 403, 403, 403, 403, 403, 201, 403, 403),
    # issue 14, the wegwijzer (ADR 0026): each jobcoach their own; the calendar feed is public by its token
    "GET /portfolio/wegwijzer":                                (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "GET /portfolio/wegwijzer/calendar":                       (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "POST /portfolio/wegwijzer/calendar/renew":                (401, 201, 201, 403, 403, 403, 403, 403, 403),
    "GET /portfolio/calendar":                                 (200, 200, 200, 200, 200, 200, 200, 200, 200),
    # portfolio: mentors (ADR 0028). The list for members (both jobcoaches are) and Noloc admins; a
    # mentor's profile for the mentor and Noloc admins; a jobcoach invites (a spare mentor: 201) and ends
    # (the draft jobcoach's mentorship: someone else's is 404); ``mentor`` is the owner's mentor and reads
    # her drafts and meetings, comments, and is refused everything of hers that changes (the rows above)
    "GET /portfolio/mentors":                                  (401, 200, 200, 403, 403, 403, 200, 403, 403),
    "GET /portfolio/mentors/{mentor_id}":                      (401, 403, 403, 403, 403, 403, 200, 200, 403),
    "PUT /portfolio/mentors/{mentor_id}":                      (401, 403, 403, 403, 403, 403, 200, 200, 403),
    "GET /portfolio/mentorships":                              (401, 200, 200, 403, 403, 403, 403, 200, 403),
    "POST /portfolio/mentorships":                             (401, 201, 201, 403, 403, 403, 403, 403, 403),
    "GET /portfolio/mentorships/{mentorship_id}/portfolio":    (401, 403, 403, 403, 403, 403, 403, 200, 403),
    "GET /portfolio/mentorships/{mentorship_id}/comments":     (401, 200, 404, 403, 403, 403, 403, 200, 403),
    "POST /portfolio/mentorships/{mentorship_id}/comments":    (401, 403, 403, 403, 403, 403, 403, 201, 403),
    "GET /portfolio/mentor-comments":                          (401, 200, 200, 403, 403, 403, 403, 403, 403),
    "POST /portfolio/mentorships/{mentorship_id}/end":         (401, 200, 404, 403, 403, 403, 403, 403, 403),
    # these move the case on, so they come last
    "POST /cases/{case_id}/objections/{objection_id}/outcome": (401, 403, 403, 403, 403, 200, 403, 403, 403),
    "POST /portfolio/cycles/current/supplement/submit":        (401, 201, 409, 403, 403, 403, 403, 403, 403),
    # the AVG: closing one's own account (the other jobcoach closes theirs); last, as it ends a person
    "POST /accounts/me/close":                                 (401, 204, 204, 403, 403, 403, 403, 403, 403),
}

# The assigned assessor of a case that has been decided (DESIGN.md section 4: an assessor sees the cases
# assigned to them only while the case runs; ADR 0017 for pe-registry and portfolio). ``decided_jobcoach``
# owns the case, which ``assessor`` assessed (positive) and DNV decided positive; the other jobcoach is
# ``draft_jobcoach`` (``jobcoach`` closed her account by then). The assigned assessor now gets the 404 anyone
# gets for a case that is not theirs.
DECIDED_CASE: dict[str, tuple[int, ...]] = {
    #                                                          anon owner other asg unasg  dnv admin mnt supp
    "GET /cases/{case_id}":                                    (401, 200, 404, 404, 404, 200, 403, 403, 403),
    "GET /cases/{case_id}/form":                               (401, 200, 404, 404, 404, 200, 403, 403, 403),
    "GET /cases/{case_id}/form.pdf":                           (401, 200, 404, 404, 404, 200, 403, 403, 403),
    "GET /cases/{case_id}/pe-check":                           (401, 403, 403, 404, 404, 200, 403, 403, 403),
    "GET /cases/{case_id}/audit":                              (401, 403, 403, 403, 403, 200, 403, 403, 403),
}

POSITIVE_ADVICE = {
    "parts": {"A1": {"verdict": "meets", "findings": "Volledig."},
              "A3": {"verdict": "meets", "findings": "Een diepgaande reflectie."},
              "B": {"verdict": "meets", "findings": "Ruim voldoende PE."}},
    "development_advice": "Verdiep je in arbeidsrecht.", "advice": "positive", "supplements": [],
}

# (operation, caller) -> the finding that explains why the system answers otherwise than MATRIX says.
# Empty: the one finding (F1, a 500 listing meetings) has been fixed.
FINDINGS: dict[tuple[str, str], str] = {}


def document_operations(gateway: str) -> list[str]:
    """``METHOD /path`` of every operation in the gateway's merged document, without the /api/v1 prefix."""
    document = requests.get(f"{gateway}{PREFIX}/openapi.json", timeout=30).json()
    assert document["x-unavailable-services"] == [], document["x-unavailable-services"]
    return [f"{method.upper()} {path.removeprefix(PREFIX)}" for path, item in document["paths"].items()
            for method in item if method in ("get", "put", "post", "patch", "delete")]


world = world_fixture("authz-logs")


def _person(label: str, caller: str) -> str | None:
    """The name of the person in ``world.people`` who is ``caller`` for the operation ``label``."""
    owner = OPERATIONS[label].owner
    return {"anonymous": None, "owner": owner,
            "other_jobcoach": "draft_jobcoach" if owner == "jobcoach" else "jobcoach"}.get(caller, caller)


def _problem(response) -> dict:
    assert response.headers.get("Content-Type", "").startswith("application/problem+json"), \
        (response.status_code, response.headers.get("Content-Type"), response.text[:300])
    return response.json()


def _refusal_is_well_formed(world: World, label: str, who: str | None, call, response) -> str | None:
    """What is wrong with a refusal, if anything: a problem document, ``WWW-Authenticate`` on a 401, and a
    404 for someone else's resource exactly like the 404 for one that does not exist."""
    problem = _problem(response)
    if response.status_code == 401 and not response.headers.get("WWW-Authenticate", "").startswith("Bearer"):
        return "a 401 without WWW-Authenticate: Bearer"
    if response.status_code == 404 and _UUID.search(call.path):
        missing = type(call)(call.method, _UUID.sub(lambda _: str(uuid.uuid4()), call.path), json=call.json,
                             data=call.data, params=call.params, headers=call.headers)
        token = world.token(who) if who else None
        absent = _problem(missing.send(world, token))
        keys = ("status", "type", "title", "detail")
        if {k: problem.get(k) for k in keys} != {k: absent.get(k) for k in keys}:
            return f"the 404 tells this resource from a missing one: {problem} != {absent}"
    return None


def _ask_everyone(world: World, label: str) -> dict[str, tuple[int, str | None]]:
    """Each caller's status for the operation, refused callers first; with what is wrong with a refusal."""
    expected = dict(zip(CALLERS, MATRIX[label], strict=True))
    order = sorted(CALLERS, key=lambda caller: expected[caller] not in DENIED)
    answers = {}
    for caller in order:
        who = _person(label, caller)
        call = OPERATIONS[label].call(world, label, who)
        response = call.send(world, world.token(who) if who else None)
        flaw = None
        if response.status_code in DENIED:
            flaw = _refusal_is_well_formed(world, label, who, call, response)
        answers[caller] = (response.status_code, flaw)
    return answers


def test_the_matrix_has_a_row_for_every_operation_of_the_document_and_no_other(world):
    in_document = set(document_operations(world.system.gateway))
    assert sorted(in_document - MATRIX.keys()) == [], "operations without a row in MATRIX"
    assert sorted(MATRIX.keys() - in_document) == [], "rows in MATRIX for operations the document lacks"
    assert sorted(in_document - OPERATIONS.keys()) == [], "operations without a request in OPERATIONS"


def test_every_operation_answers_each_caller_as_the_design_allows(world, subtests):
    in_document = set(document_operations(world.system.gateway))
    for label in [*MATRIX, *sorted(in_document - MATRIX.keys())]:
        with subtests.test(msg=label):
            assert label in MATRIX, f"{label} is in the document but has no row in MATRIX"
            assert label in in_document, f"{label} has a row in MATRIX but is not in the document"
            answers = _ask_everyone(world, label)
            expected = dict(zip(CALLERS, MATRIX[label], strict=True))
            wrong = {caller: (expected[caller], status) for caller, (status, _) in answers.items()
                     if status != expected[caller]}
            flaws = {caller: flaw for caller, (_, flaw) in answers.items() if flaw}
            assert not flaws, f"{label}: refusals not as the design says: {flaws}"
            known = {caller: finding for (operation, caller), finding in FINDINGS.items()
                     if operation == label}
            unexplained = {caller: cell for caller, cell in wrong.items() if caller not in known}
            assert not unexplained, f"{label}: (expected, got) per caller: {unexplained}"
            fixed = sorted(set(known) - set(wrong))
            assert not fixed, f"{label}: {fixed} now answer as designed; remove their FINDINGS entries"
            if known:
                pytest.xfail("; ".join(sorted(set(known.values()))))


@pytest.fixture(scope="module")
def decided_case(world) -> str:
    """A second jobcoach's case, assessed by ``assessor`` and decided positive by DNV; its id."""
    app, people, dnv = world.app, world.people, world.people["dnv_officer"]
    people["decided_jobcoach"] = coach = world.register_jobcoach("Door Beslist")
    world.load_certificate(coach, TODAY + timedelta(days=60))
    world.complete_portfolio(coach)
    submission = app.post("portfolio/cycles/current/submit", coach)
    assert submission.status_code == 201, submission.text
    case_id = world.case_of(coach, "opened")["id"]
    assert app.post(f"cases/{case_id}/pe-check", dnv, json={"passed": True}).status_code == 200
    world.pay(world.invoice_of(coach, submission.json()["id"]))
    world.case_of(coach, "ready_for_assignment")
    assert app.post(f"cases/{case_id}/assessor", dnv, json={"assessor_id": people["assessor"].id}
                    ).status_code == 200
    assert app.post(f"cases/{case_id}/advice", people["assessor"], json=POSITIVE_ADVICE).status_code == 201
    assert app.post(f"cases/{case_id}/decision", dnv, json={"decision": "positive"}).status_code == 201
    world.resources["decided_case_id"] = case_id
    return case_id


def test_the_assigned_assessor_no_longer_reads_a_decided_case(world, decided_case, subtests):
    """The rows of ``DECIDED_CASE``, asked as the matrix asks, on the decided case; and the assessor's list
    of cases leaves it out, also when asked for decided cases."""
    for label, cells in DECIDED_CASE.items():
        with subtests.test(msg=label):
            expected = dict(zip(CALLERS, cells, strict=True))
            operation = OPERATIONS[label]
            answers, flaws = {}, {}
            for caller in sorted(CALLERS, key=lambda c: expected[c] not in DENIED):
                who = {"anonymous": None, "owner": "decided_jobcoach",
                       "other_jobcoach": "draft_jobcoach"}.get(caller, caller)
                call = Operation(owner="decided_jobcoach", persona=operation.persona,
                                 ids={"case_id": "decided_case_id"}).call(world, label, who)
                response = call.send(world, world.token(who) if who else None)
                answers[caller] = response.status_code
                if response.status_code in DENIED:
                    flaw = _refusal_is_well_formed(world, label, who, call, response)
                    if flaw:
                        flaws[caller] = flaw
            assert not flaws, f"{label}: refusals not as the design says: {flaws}"
            wrong = {c: (expected[c], status) for c, status in answers.items() if status != expected[c]}
            assert not wrong, f"{label}: (expected, got) per caller: {wrong}"
    for params in ({}, {"state": "decided"}):
        listed = world.app.get("cases", world.person("assessor"), params=params)
        assert listed.status_code == 200
        assert decided_case not in [case["id"] for case in listed.json()["items"]], params
    listed = world.app.get("cases", world.person("dnv_officer"), params={"state": "decided"}).json()["items"]
    assert decided_case in [case["id"] for case in listed]


def _forged_token(world: World) -> str:
    """A Noloc admin's token with identity's current key id, signed with another key."""
    keys = requests.get(f"{world.system.gateway}{PREFIX}/.well-known/jwks.json", timeout=10).json()["keys"]
    kid = keys[0]["kid"]
    claims = access_token_claims(world.people["noloc_admin"].id, ["noloc_admin", "dnv_officer"],
                                 issuer="recert-identity", audience="recert")
    return sign_token(Ed25519PrivateKey.generate(), kid, claims)


def test_a_token_signed_with_another_key_is_refused_wherever_a_token_is_needed(world, subtests):
    forged = _forged_token(world)
    for label, cells in MATRIX.items():
        if cells[0] != 401:
            continue
        with subtests.test(msg=label):
            response = OPERATIONS[label].call(world, label, "noloc_admin").send(world, forged)
            assert response.status_code == 401, (label, response.status_code, response.text[:300])
            assert _problem(response)["type"].endswith("/unauthorized"), response.text[:300]


def test_each_service_checks_the_token_itself_behind_the_gateway(world, subtests):
    """Defence in depth: called directly, a service refuses a request without a token, and one with a
    forged token, wherever the gateway would have."""
    forged = _forged_token(world)
    for label, cells in MATRIX.items():
        call = OPERATIONS[label].call(world, label, "noloc_admin")
        route = ROUTES.match(split_path(call.path))
        if cells[0] != 401 or route is None:
            continue  # public, or composed by the gateway itself
        with subtests.test(msg=label):
            url = f"{world.system.url(route.service)}/v1/{call.path}"
            for token in (None, forged):
                headers = {**call.headers, **({"Authorization": f"Bearer {token}"} if token else {})}
                response = requests.request(call.method, url, headers=headers, json=call.json, data=call.data,
                                            params=call.params, timeout=30)
                assert response.status_code == 401, (label, token is not None, response.status_code,
                                                      response.text[:300])


def test_a_payment_notification_with_a_bad_signature_is_refused_whoever_sends_it(world):
    """The webhook's own check, not the gateway's: refused for a missing or wrong signature (401
    invalid-signature), with or without an access token, before anything is read."""
    for caller in CALLERS:
        who = _person("POST /payments/webhook", caller)
        call = OPERATIONS["POST /payments/webhook"].call(world, "POST /payments/webhook", who)
        for bad in ("sha256=" + "0" * 64, "", "md5=abc"):
            call.headers["X-Signature"] = bad
            response = call.send(world, world.token(who) if who else None)
            assert response.status_code == 401, (caller, bad, response.status_code, response.text[:300])
            assert _problem(response)["type"].endswith("/invalid-signature"), response.text[:300]
