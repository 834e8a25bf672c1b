"""Administration: staff accounts, the account list, disabling and TOTP resets, and who may do them."""
from __future__ import annotations

import uuid

import pytest
from identity_support import PASSWORD, code, event_types, outbox, secret_of, unique_email


@pytest.fixture(scope="module")
def admin(client):
    return client.enrolled_staff(("noloc_admin",))


def admin_calls(account_id) -> list[tuple[str, str, dict | None]]:
    return [
        ("post", "/v1/admin/accounts", {"email": unique_email("staff"), "full_name": "Sam Staf",
                                        "password": PASSWORD, "roles": ["assessor"]}),
        ("get", "/v1/admin/accounts", None),
        ("get", f"/v1/admin/accounts/{account_id}", None),
        ("post", f"/v1/admin/accounts/{account_id}/disable", {}),
        ("post", f"/v1/admin/accounts/{account_id}/totp-reset", {}),
    ]


@pytest.mark.parametrize("role", ["jobcoach", "assessor", "dnv_officer"])
def test_only_a_noloc_admin_may_administer(client, db, role):
    """Everything under /v1/admin, except a DNV officer resetting a jobcoach's or assessor's TOTP."""
    caller = client.enrolled() if role == "jobcoach" else client.enrolled_staff((role,))
    target = client.enrolled()
    before = len(outbox(db))
    for method, path, body in admin_calls(target.id):
        if role == "dnv_officer" and path.endswith("/totp-reset"):
            continue  # DNV's support may reset a jobcoach's authenticator app: see the test below
        call = getattr(client.http, method)
        assert call(path, json=body).status_code == 401
        response = call(path, json=body, headers={"Authorization": f"Bearer {caller.tokens['access_token']}"})
        assert response.status_code == 403, (method, path)
    assert len(outbox(db)) == before


def test_an_admin_creates_staff_who_enrol_at_their_first_login(client, db, admin):
    email = unique_email("assessor")
    response = client.post("/v1/admin/accounts", token=admin.tokens["access_token"], json={
        "email": email, "full_name": "Aad Assessor", "password": PASSWORD,
        "roles": ["assessor", "dnv_officer"]})
    assert response.status_code == 201
    staff = response.get_json()
    assert response.headers["Location"].endswith(f"/v1/admin/accounts/{staff['id']}")
    assert staff["roles"] == ["assessor", "dnv_officer"]
    assert (staff["membership_kind"], staff["membership_number"]) == (None, None)
    [event] = outbox(db, staff["id"])
    assert (event["type"], event["data"]["membership_number"]) == ("identity.account.registered", None)

    assert client.challenge(email)["kind"] == "enrol"
    duplicate = client.post("/v1/admin/accounts", token=admin.tokens["access_token"], json={
        "email": email.upper(), "full_name": "Aad", "password": PASSWORD, "roles": ["assessor"]})
    assert duplicate.status_code == 409
    for roles in (["jobcoach"], [], ["superuser"]):
        refused = client.post("/v1/admin/accounts", token=admin.tokens["access_token"], json={
            "email": unique_email(), "full_name": "X", "password": PASSWORD, "roles": roles})
        assert refused.status_code == 422
        assert any(field.startswith("roles") for field in refused.get_json()["errors"])


def test_the_account_list_pages_and_filters(client, admin):
    for _ in range(3):
        client.register()
    token = admin.tokens["access_token"]
    first = client.get("/v1/admin/accounts?page=1&page_size=2", token=token).get_json()
    second = client.get("/v1/admin/accounts?page=2&page_size=2", token=token).get_json()
    assert len(first["items"]) == len(second["items"]) == 2
    assert first["total"] >= 4 and (first["page"], first["page_size"]) == (1, 2)
    assert not {a["id"] for a in first["items"]} & {a["id"] for a in second["items"]}
    admins = client.get("/v1/admin/accounts?role=noloc_admin&page_size=100", token=token).get_json()
    assert admin.id in {a["id"] for a in admins["items"]}
    assert all("noloc_admin" in a["roles"] for a in admins["items"])
    for query in ("page=0", "page_size=101", "role=king", "sort=name"):
        assert client.get(f"/v1/admin/accounts?{query}", token=token).status_code == 422
    assert client.get(f"/v1/admin/accounts/{uuid.uuid4()}", token=token).status_code == 404


def test_a_disabled_account_cannot_log_in_or_refresh(client, db, admin):
    person = client.enrolled()
    token = admin.tokens["access_token"]
    response = client.post(f"/v1/admin/accounts/{person.id}/disable", token=token, json={"reason": "left"})
    assert response.status_code == 200 and response.get_json()["disabled"] is True
    event = outbox(db, person.id)[-1]
    assert event["type"] == "identity.account.disabled"
    assert event["data"] == {"account_id": person.id, "disabled_by": admin.id, "reason": "left"}

    headers = {"X-Request-ID": "r1"}
    right = client.post("/v1/auth/login", json={"email": person.email, "password": PASSWORD}, headers=headers)
    unknown = client.post("/v1/auth/login", json={"email": unique_email(), "password": PASSWORD},
                          headers=headers)
    assert (right.status_code, right.get_json()) == (unknown.status_code, unknown.get_json())
    assert client.post("/v1/auth/refresh", json={"refresh_token": person.tokens["refresh_token"]}
                       ).status_code == 401
    refused = client.get("/v1/accounts/me", token=person.tokens["access_token"],
                         headers={"Accept-Language": "en"})
    # Refused by the token check itself (the revocation read model), for every route, writes included.
    assert (refused.status_code, refused.get_json()["detail"]) == (
        401, "This session has ended. Please log in again.")
    assert client.patch("/v1/accounts/me", json={"full_name": "Uitgeschakeld"},
                        token=person.tokens["access_token"]).status_code == 401

    events = len(outbox(db))
    assert client.post(f"/v1/admin/accounts/{person.id}/disable", token=token).status_code == 409
    assert client.post(f"/v1/admin/accounts/{admin.id}/disable", token=token).status_code == 409
    assert client.post(f"/v1/admin/accounts/{uuid.uuid4()}/disable", token=token).status_code == 404
    assert client.post(f"/v1/admin/accounts/{person.id}/disable", token=token,
                       json={"reason": "x" * 501}).status_code == 422
    assert len(outbox(db)) == events


def test_a_totp_reset_makes_the_next_login_enrol_again(client, db, admin):
    person = client.enrolled()
    token = admin.tokens["access_token"]
    response = client.post(f"/v1/admin/accounts/{person.id}/totp-reset", token=token,
                           json={"reason": "new phone"})
    assert response.status_code == 200 and response.get_json()["totp_enrolled"] is False
    reset = outbox(db, person.id)[-1]
    assert reset["type"] == "identity.totp.reset"
    assert reset["data"] == {"account_id": person.id, "reset_by": admin.id, "reason": "new phone",
                             "service_request_id": None, "identity_check": None}
    assert client.post("/v1/auth/refresh", json={"refresh_token": person.tokens["refresh_token"]}
                       ).status_code == 401
    assert client.post(f"/v1/admin/accounts/{person.id}/totp-reset", token=token).status_code == 409

    challenge = client.challenge(person.email)
    assert challenge["kind"] == "enrol"
    new_secret = secret_of(challenge["otpauth_uri"])
    assert new_secret != person.secret
    old_recovery = person.tokens["recovery_codes"][0]
    assert client.verify(challenge["challenge_id"], old_recovery).status_code == 401
    tokens = client.verify(challenge["challenge_id"], code(new_secret, 0)).get_json()
    assert len(tokens["recovery_codes"]) == 10
    enrolled = outbox(db, person.id)[-1]
    assert (enrolled["type"], enrolled["data"]["after_reset"]) == ("identity.totp.enrolled", True)
    assert event_types(db, person.id) == [
        "identity.email.verification_requested", "identity.account.registered", "identity.totp.enrolled",
        "identity.account.sessions_ended", "identity.totp.reset", "identity.totp.enrolled"]
    # The access token from before the reset stays refused; the new login's works.
    assert client.get("/v1/accounts/me", token=person.tokens["access_token"]).status_code == 401
    assert client.get("/v1/accounts/me", token=tokens["access_token"]).status_code == 200


def test_a_dnv_officer_resets_a_jobcoachs_or_assessors_totp_not_a_colleagues_or_admins(client, db, admin):
    officer = client.enrolled_staff(("dnv_officer",))
    token = officer.tokens["access_token"]
    for target in (client.enrolled(), client.enrolled_staff(("assessor",))):
        response = client.post(f"/v1/admin/accounts/{target.id}/totp-reset", token=token,
                               json={"reason": "Telefoon kwijt, gebeld met de support."})
        assert response.status_code == 200 and response.get_json()["totp_enrolled"] is False
        reset = outbox(db, target.id)[-1]
        assert reset["type"] == "identity.totp.reset" and reset["data"]["reset_by"] == officer.id
        assert client.challenge(target.email)["kind"] == "enrol"

    for target in (client.enrolled_staff(("dnv_officer",)), admin):
        before = len(outbox(db))
        refused = client.post(f"/v1/admin/accounts/{target.id}/totp-reset", token=token)
        assert refused.status_code == 403
        assert "Noloc-beheerder" in refused.get_json()["detail"]
        assert len(outbox(db)) == before
    # The rest of the administration stays a Noloc admin's.
    assert client.get("/v1/admin/accounts", token=token).status_code == 403
