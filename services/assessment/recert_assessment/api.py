"""Assessment's HTTP API: /v1/cases, /v1/certificates and the public /v1/register.

Who sees what: a DNV officer sees and acts on every case; an assessor sees only the cases assigned to them
now, while they run (not once decided or withdrawn), and gives their advice; a jobcoach sees their own cases
(an advice once DNV decided on it), declares a mentor and files objections. Any other case answers 404, as if
it did not exist; an endpoint for another role answers 403. Certificates: a jobcoach reads their own (the
tile), DNV officers and Noloc admins all, and load the CSV of existing holders. The register is public and
tells name, number, validity and state of active certificates only (a lapsed one has left the register).
"""
from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, current_app, request, url_for
from flask_smorest import Blueprint

from recert_assessment.credential_pdf import CertificatePage, render_certificate
from recert_assessment.domain import Finding
from recert_assessment.problems import (
    AssessorNotAllowedProblem,
    CertificateConflictProblem,
    ClaimCodeRejectedProblem,
    ClaimThrottledProblem,
    CredentialUnavailableProblem,
    CsvRowsRejectedProblem,
    CsvUnreadableProblem,
    ObjectionRefusedProblem,
    PeRulesNotMetProblem,
    StatusListFullProblem,
    StepOutOfOrderProblem,
    not_found,
)
from recert_assessment.schemas import (
    AdviceInputSchema,
    AssessorOptionSchema,
    AssignInputSchema,
    AuditEntrySchema,
    CaseCountsSchema,
    CaseDetailSchema,
    CasePageSchema,
    CaseQuerySchema,
    CertificatePageSchema,
    CertificateQuerySchema,
    CertificateSchema,
    ClaimCodeSchema,
    ClaimedSchema,
    ClaimInputSchema,
    CredentialDownloadSchema,
    DecisionInputSchema,
    DecisionSchema,
    FormQuerySchema,
    FormSchema,
    ImportResultSchema,
    IssuerProfileSchema,
    JwksSchema,
    ObjectionInputSchema,
    ObjectionOutcomeInputSchema,
    ObjectionSchema,
    OverdueItemSchema,
    OverdueQuerySchema,
    PeCheckInputSchema,
    PeCheckSchema,
    RegisterEntrySchema,
    RegisterQuerySchema,
    RegisterResultSchema,
    RejectionInputSchema,
    RevokedCredentialsSchema,
    RotatedKeySchema,
    TileSchema,
    VerificationSchema,
    VerifyInputSchema,
)
from recert_assessment.service import AssessmentService
from recert_common.auth import Role, current_principal, ensure_owner_or_roles, require_roles
from recert_common.errors import UnsupportedMediaType
from recert_common.files import file_response
from recert_common.schemas import page_body
from recert_common.web import answers

cases = Blueprint("cases", __name__, url_prefix="/v1/cases",
                  description="Assessment cases: PE check, assessor, assessment form, decision, objection.")
certificates = Blueprint("certificates", __name__, url_prefix="/v1/certificates",
                         description="Certificates: the jobcoach's tile, DNV's list, the CSV of holders.")
register = Blueprint("register", __name__, url_prefix="/v1/register",
                     description="The public register of Register Jobcoaches (no login).")
credentials = Blueprint("credentials", __name__, url_prefix="/v1/credentials", description=(
    "Verifiable credentials of certificates (W3C VC 2.0 / Open Badges 3.0, VC-JOSE with Ed25519): the "
    "issuer's published keys, the status list, and verification; public (no login) but for key rotation."))
BLUEPRINTS = (cases, certificates, register, credentials)

STAFF = Role.DNV_OFFICER
_NO_STORE = {"Cache-Control": "no-store"}  # a claim code must not stay in any cache
_CASE_READERS = (Role.JOBCOACH, Role.ASSESSOR, Role.DNV_OFFICER)


def _service() -> AssessmentService:
    return current_app.extensions["assessment"]


# --- cases -----------------------------------------------------------------------------------------------


@cases.get("")
@require_roles(*_CASE_READERS)
@cases.arguments(CaseQuerySchema, location="query")
@cases.response(200, CasePageSchema)
def list_cases(query: dict[str, Any]):
    """DNV officers: every case (filters account_id, assessor_id, state); assessors: the cases assigned to
    them that still run (a decided or withdrawn case is left out); a jobcoach: their own. Newest first."""
    items, total = _service().list_cases(current_principal(), account_id=query.get("account_id"),
                                         assessor_id=query.get("assessor_id"), state=query.get("state"),
                                         page=query["page"], page_size=query["page_size"])
    return page_body(items, total, query)


@cases.get("/overdue")
@require_roles(STAFF)
@cases.arguments(OverdueQuerySchema, location="query")
@cases.response(200, OverdueItemSchema(many=True))
def overdue(query: dict[str, Any]):
    """Open cases past their due date (status overdue) or due within RECERT_ASSESSMENT_DUE_SOON_DAYS
    (due_soon), soonest first; with ``limit``, only the first so many (``/v1/cases/counts`` counts them
    all)."""
    return _service().overdue(limit=query.get("limit"))


@cases.get("/counts")
@require_roles(STAFF)
@cases.response(200, CaseCountsSchema)
def case_counts():
    """How many cases there are in each state, every state listed, and how many open cases are overdue or
    due soon (DNV's overview)."""
    return _service().case_counts()


@cases.get("/<uuid:case_id>")
@require_roles(*_CASE_READERS)
@cases.response(200, CaseDetailSchema)
def get_case(case_id: UUID):
    return _service().view(current_principal(), case_id)


@cases.get("/<uuid:case_id>/pe-check")
@require_roles(Role.ASSESSOR, STAFF)
@cases.response(200, PeCheckSchema)
def get_pe_check(case_id: UUID):
    """The PE rules applied to the snapshot's activities (minus rejected ones), each activity with its
    evidence, and the completed check."""
    return _service().pe_check(current_principal(), case_id)


@cases.post("/<uuid:case_id>/pe-check/rejections")
@answers(StepOutOfOrderProblem)
@require_roles(STAFF)
@cases.arguments(RejectionInputSchema)
@cases.response(201, PeCheckSchema)
def reject_activity(data: dict[str, Any], case_id: UUID):
    """Reject one of the snapshot's activities with a reason (again: the reason is replaced). Only while the
    PE check is open."""
    return _service().reject_activity(current_principal(), case_id, data["activity_id"],
                                      data["reason"].strip())


@cases.delete("/<uuid:case_id>/pe-check/rejections/<uuid:activity_id>")
@answers(StepOutOfOrderProblem)
@require_roles(STAFF)
@cases.response(200, PeCheckSchema)
def withdraw_rejection(case_id: UUID, activity_id: UUID):
    return _service().withdraw_rejection(current_principal(), case_id, activity_id)


@cases.post("/<uuid:case_id>/pe-check")
@answers(StepOutOfOrderProblem, PeRulesNotMetProblem)
@require_roles(STAFF)
@cases.arguments(PeCheckInputSchema)
@cases.response(200, PeCheckSchema)
def complete_pe_check(data: dict[str, Any], case_id: UUID):
    """Complete the PE check: passed (only when the rules are met) or failed with findings.

    Passed: the case waits for the recertification invoice to be paid (unless it is paid already), then
    goes to an assessor. Failed: the case stops (state pe_check_failed) for DNV's decision on part B
    (POST .../decision, "postponed": B reopens for 3 months from the decision, the findings are the
    assignment). After that supplement and its reassessment fee the check is done again on the supplement's
    activities; after an objection upheld against that postponed decision it is done again on the
    submission's activities. A failure after the supplement ends in a negative decision; a failure after
    the upheld objection is postponed on B again (the annulled decision did not use up the case's one
    postponement). See ADR 0011."""
    findings: list[Finding] = data["findings"]
    return _service().complete_pe_check(current_principal(), case_id, passed=data["passed"],
                                        findings=findings)


@cases.get("/<uuid:case_id>/assessors")
@require_roles(STAFF)
@cases.response(200, AssessorOptionSchema(many=True))
def assessors_for_case(case_id: UUID):
    """Every assessor, by name, each eligible for this case or excluded with the reason: the jobcoach
    themselves, a mentor of the jobcoach (a mentorship of the jobcoach's own, running or ended in the
    certificate period: excluded automatically), or the assessor of their previous portfolio.
    POST .../assessor refuses the excluded ones."""
    return _service().assessors_for(current_principal(), case_id)


@cases.post("/<uuid:case_id>/assessor")
@answers(StepOutOfOrderProblem, AssessorNotAllowedProblem)
@require_roles(STAFF)
@cases.arguments(AssignInputSchema)
@cases.response(200, CaseDetailSchema)
def assign(data: dict[str, Any], case_id: UUID):
    """Assign (or, before the advice, reassign) an assessor: not the jobcoach's mentor, not the assessor of
    their previous portfolio."""
    return _service().assign(current_principal(), case_id, data["assessor_id"])


@cases.post("/<uuid:case_id>/advice")
@answers(StepOutOfOrderProblem)
@require_roles(Role.ASSESSOR)
@cases.arguments(AdviceInputSchema)
@cases.response(201, FormSchema)
def give_advice(form, case_id: UUID):
    """The assigned assessor's assessment form and advice (after a supplement: the reassessment, positive
    or negative). Part B cannot meet against a failed PE check.

    The order of steps (ADR 0011): the advice is internal to DNV. It reopens nothing, starts no term and is
    not sent to the jobcoach, who reads it only with DNV's decision on it. A postponed advice proposes the
    supplementary assignments; DNV's postponed decision (POST .../decision) opens them."""
    given = _service().give_advice(current_principal(), case_id, form)
    return given, 201, {"Location": url_for("cases.get_form", case_id=case_id, round=given.round)}


@cases.get("/<uuid:case_id>/form")
@require_roles(*_CASE_READERS)
@cases.arguments(FormQuerySchema, location="query")
@cases.response(200, FormSchema)
def get_form(query: dict[str, Any], case_id: UUID):
    """The assessment form (default: the latest round). The jobcoach once DNV decided on it."""
    return _service().form(current_principal(), case_id, query.get("round"))[1]


@cases.route("/<uuid:case_id>/form.pdf", methods=["GET"])
@require_roles(*_CASE_READERS)
@cases.arguments(FormQuerySchema, location="query")
@cases.doc(responses={"200": {"description": "The assessment form as PDF.", "content": {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
def get_form_pdf(query: dict[str, Any], case_id: UUID):
    document, round_ = _service().form_pdf(current_principal(), case_id, query.get("round"))
    return file_response(document, filename=f"beoordelingsformulier-{case_id}-{round_}.pdf",
                         mimetype="application/pdf")


@cases.post("/<uuid:case_id>/decision")
@answers(StepOutOfOrderProblem, CertificateConflictProblem)
@require_roles(STAFF)
@cases.arguments(DecisionInputSchema)
@cases.response(201, DecisionSchema)
def decide(data: dict[str, Any], case_id: UUID):
    """DNV's decision, following or (with a reason) departing from the advice. Positive renews the
    certificate from its old expiry date for 4 years (or reactivates it); negative lets the certificate
    lapse at expiry.

    The order of steps (ADR 0011): 1. the assessor advises (internal to DNV); 2. DNV decides. Postponed
    (only on a postponed advice, once per case) reopens the advice's parts in the jobcoach's portfolio and
    tells the jobcoach each part's assignment and the deadline, 3 months from this decision's date
    (supplement_due_on). 3. The jobcoach hands in the supplement and pays the reassessment fee. 4. The same
    assessor advises positive or negative. 5. DNV decides again. Deciding positive or negative on a
    postponed advice reopens nothing. While a supplement is due only a negative decision is possible, after
    its due date. After a failed PE check the decision is postponed on part B (the check's findings are the
    assignment), or negative once the case had its postponed decision and the check of the supplement failed
    too (a postponed decision annulled by an upheld objection does not count)."""
    return _service().decide(current_principal(), case_id, decision=data["decision"], reason=data["reason"])


@cases.post("/<uuid:case_id>/objections")
@answers(ObjectionRefusedProblem)
@require_roles(Role.JOBCOACH)
@cases.arguments(ObjectionInputSchema)
@cases.response(201, ObjectionSchema)
def file_objection(data: dict[str, Any], case_id: UUID):
    """The jobcoach's objection (bezwaar) against the latest decision (not a positive one), within the term
    stated in it; one per decision."""
    return _service().file_objection(current_principal(), case_id, data["reason"].strip())


@cases.post("/<uuid:case_id>/objections/<uuid:objection_id>/outcome")
@answers(StepOutOfOrderProblem, ObjectionRefusedProblem)
@require_roles(STAFF)
@cases.arguments(ObjectionOutcomeInputSchema)
@cases.response(200, ObjectionSchema)
def decide_objection(data: dict[str, Any], case_id: UUID, objection_id: UUID):
    """upheld: the case reopens for a new decision (objection_upheld); rejected: the decision stands.
    Upheld against DNV's postponed decision on part B after a failed PE check (round 0, the case waits for
    the PE supplement): that decision is annulled with the supplement it asked for (the decision's
    annulled_at), and the case goes back to DNV's PE check (opened) on the submission's activities, due 8
    weeks from today; it does not count as the case's one postponed decision, so a check that fails again is
    postponed on part B as a first one. assessment.objection.decided says which (next_step: new_decision or
    pe_check).
    Upholding is refused (409 objection-refused, reason decision_replaced) once a later decision replaced
    the objected one (the decision on the supplement after a postponed one), and (reason
    decided_on_pe_check) against a negative decision taken on the failed PE check alone; rejecting stays
    possible. Once the PE supplement was handed in, upholding is out of order (409 step-out-of-order)."""
    return _service().decide_objection(current_principal(), case_id, objection_id, outcome=data["outcome"],
                                       reason=data["reason"].strip())


@cases.get("/<uuid:case_id>/audit")
@require_roles(STAFF)
@cases.response(200, AuditEntrySchema(many=True))
def audit_trail(case_id: UUID):
    """Who did what when, oldest first."""
    return _service().audit_trail(current_principal(), case_id)


# --- certificates ----------------------------------------------------------------------------------------


@certificates.get("/mine")
@answers(404)
@require_roles(Role.JOBCOACH)
@certificates.response(200, TileSchema)
def my_certificate():
    """The jobcoach's tile: number, validity, days left, whether the submission window is open."""
    return _service().certificates.tile(current_principal().account_id)


@certificates.get("")
@require_roles(STAFF, Role.NOLOC_ADMIN)
@certificates.arguments(CertificateQuerySchema, location="query")
@certificates.response(200, CertificatePageSchema)
def list_certificates(query: dict[str, Any]):
    items, total = _service().certificates.list(
        number=query["number"].strip().upper() if query.get("number") else None,
        account_id=query.get("account_id"), state=query.get("state"), page=query["page"],
        page_size=query["page_size"])
    return page_body(items, total, query)


@certificates.get("/<uuid:certificate_id>")
@require_roles(Role.JOBCOACH, STAFF, Role.NOLOC_ADMIN)
@certificates.response(200, CertificateSchema)
def get_certificate(certificate_id: UUID):
    """The holder, DNV officers and Noloc admins."""
    view = _service().certificates.get(certificate_id)
    if view is None:
        raise not_found()
    ensure_owner_or_roles(view.certificate.account_id or certificate_id, STAFF, Role.NOLOC_ADMIN,
                          problem=not_found())
    return view


@certificates.post("/<uuid:certificate_id>/claim-codes")
@answers(CertificateConflictProblem)
@require_roles(Role.NOLOC_ADMIN, STAFF)
@certificates.response(201, ClaimCodeSchema)
def issue_claim_code(certificate_id: UUID):
    """A single-use code (valid 30 days) with which the holder claims a certificate that waits for its
    account: the e-mail address Noloc holds was not the one the holder verified. Only its hash is kept;
    an earlier live code of the certificate stops working."""
    code, expires_at = _service().certificates.issue_claim_code(
        certificate_id, issued_by=current_principal().account_id)
    return {"code": code, "expires_at": expires_at, "certificate_id": certificate_id}, 201, _NO_STORE


@certificates.post("/claim")
@answers(ClaimCodeRejectedProblem, CertificateConflictProblem, ClaimThrottledProblem)
@require_roles(Role.JOBCOACH)
@certificates.arguments(ClaimInputSchema)
@certificates.response(200, ClaimedSchema)
def claim_certificate(data: dict[str, Any]):
    """Claim one's certificate with the code Noloc or DNV gave. A wrong, used or expired code is 422; 409 when
    the certificate's Noloc number is not the account's or the account holds another certificate; five wrong
    codes within 15 minutes make every try 429 for a while."""
    return _service().certificates.redeem_claim_code(current_principal().account_id, data["code"])


@certificates.post("/import")
@answers(UnsupportedMediaType, CsvUnreadableProblem, CsvRowsRejectedProblem)
@require_roles(Role.NOLOC_ADMIN, STAFF)
@certificates.doc(requestBody={"required": True, "description": (
    "CSV with a header line: noloc_number,certificate_number,valid_until,email,name (email: the address "
    "Noloc holds for the holder, which an account must have verified to be linked; name: as the public "
    "register shows it) and optionally "
    "register_fee_paid_until (the date up to which an external affiliate has paid Noloc's register fee "
    "already; may be empty) (comma or semicolon; UTF-8; dates 2027-06-30 or 30-06-2027). All or "
    "nothing: any wrong line refuses the file with 422 and every wrong "
    "line listed; known certificates are unchanged, so loading the same file twice changes nothing."),
    "content": {"text/csv": {"schema": {"type": "string"}}}})
@certificates.response(200, ImportResultSchema)
def import_certificates():
    if request.mimetype != "text/csv":
        raise UnsupportedMediaType(code="detail.unsupported_media_type")
    # The app-wide body limit is for JSON; this file may be larger (werkzeug answers 413 beyond it).
    request.max_content_length = _service().settings.import_max_bytes
    return _service().certificates.import_csv(request.get_data(cache=False))


# --- the public register ---------------------------------------------------------------------------------


@register.get("")
@register.arguments(RegisterQuerySchema, location="query")
@register.response(200, RegisterResultSchema)
def search_register(query: dict[str, Any]):
    """Search by certificate number (exact) or name (contains); at most 50 answers. Only active certificates:
    a lapsed certificate has left the register (its holder still sees it at /v1/certificates/mine)."""
    return {"items": _service().certificates.search_register(query["q"])}


@register.get("/<string:certificate_number>")
@register.response(200, RegisterEntrySchema)
def register_entry(certificate_number: str):
    """One active certificate by number. A lapsed certificate answers 404 exactly as an unknown number does:
    the register tells only who is in it."""
    entry = _service().certificates.register_entry(certificate_number)
    if entry is None:
        raise not_found()
    return entry


# --- verifiable credentials (ADR 0030) -----------------------------------------------------------------


@certificates.get("/mine/credential")
@answers(404, CredentialUnavailableProblem, StatusListFullProblem)
@require_roles(Role.JOBCOACH)
@certificates.response(200, CredentialDownloadSchema)
def my_credential():
    """The jobcoach's certificate as a verifiable credential: the signed JWT and the credential it carries.
    Made on the first request in a certificate period (announced as certification.credential.issued) and
    the same after. It names the holder as Noloc's import does (the public register's name), never the
    account's own name. 409 for a lapsed certificate, or while the import names no holder."""
    return _service().credentials.mine(current_principal().account_id), 200, _NO_STORE


@certificates.route("/mine/credential.pdf", methods=["GET"])
@answers(404, CredentialUnavailableProblem, StatusListFullProblem)
@require_roles(Role.JOBCOACH)
@certificates.doc(responses={"200": {"description": "The certificate as PDF with a QR code that opens its "
                                                    "public verification page.", "content": {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
def my_credential_pdf():
    service = _service().credentials
    held = service.mine(current_principal().account_id)
    document = render_certificate(CertificatePage(
        holder_name=held.holder_name, certificate_number=held.certificate.number,
        valid_from=held.credential.valid_from, valid_until=held.credential.valid_until,
        issuer_name=service.issuer.name, verification_url=held.verification_url,
        credential_id=str(held.credential.id), kid=held.credential.kid))
    return file_response(document, filename=f"certificaat-{held.certificate.number}.pdf",
                         mimetype="application/pdf")


@certificates.post("/<uuid:certificate_id>/credential/revoke")
@answers(404)
@require_roles(STAFF)
@certificates.response(200, RevokedCredentialsSchema)
def revoke_credential(certificate_id: UUID):
    """DNV revokes the certificate's credentials: their bits are set in the status list, so every verifier
    refuses them from now on (announced as certification.credential.revoked). 404 when it has none. While
    the certificate is active its holder may download a new credential."""
    revoked = _service().credentials.revoke(certificate_id)
    return {"credential_ids": [credential.id for credential in revoked]}


_PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}


@credentials.get("/keys")
@credentials.response(200, JwksSchema)
def credential_keys():
    """The issuer's public keys (JWKS): every key that has signed a credential, the current one last. A
    verifier finds a credential's key by the JWT's kid."""
    return _service().credentials.jwks(), 200, _PUBLIC_CACHE


@credentials.get("/issuer")
@credentials.response(200, IssuerProfileSchema)
def credential_issuer():
    """The issuer profile every credential names (its id is this address)."""
    return _service().credentials.issuer_profile(), 200, _PUBLIC_CACHE


@credentials.route("/status/<int:number>", methods=["GET"])
@answers(404)
@credentials.doc(responses={"200": {
    "description": "The BitstringStatusListCredential (revocation), signed now: a vc+jwt.",
    "content": {"application/vc+jwt": {"schema": {"type": "string"}}}}})
def status_list(number: int):
    token = _service().credentials.status_list(number)
    return Response(token, status=200, mimetype="application/vc+jwt",
                    headers={"Cache-Control": "public, max-age=60"})


@credentials.post("/verify")
@credentials.arguments(VerifyInputSchema)
@credentials.response(200, VerificationSchema)
def verify_credential(data: dict[str, Any]):
    """Verify a credential (its JWT, or the JSON download that holds it): signature by kid against the
    published keys, the VC shape, the validity dates and the status bit. A refusal is 200 with valid
    false and the reason."""
    return _service().credentials.verify(data["credential"])


@credentials.get("/<uuid:credential_id>/verification")
@answers(404)
@credentials.response(200, VerificationSchema)
def stored_verification(credential_id: UUID):
    """Verify a credential this platform issued, by its id: what the PDF's QR code opens."""
    return _service().credentials.verify_stored(credential_id)[1]


@credentials.post("/keys/rotate")
@require_roles(Role.NOLOC_ADMIN)
@credentials.response(201, RotatedKeySchema)
def rotate_credential_key():
    """Make a new current issuer key (at once; the earlier one's private half is dropped). Every earlier key
    stays published, so every credential signed before still verifies."""
    return _service().credentials.rotate_key(), 201
