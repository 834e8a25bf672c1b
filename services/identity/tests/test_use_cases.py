"""Every use case of identity against the in-memory unit of work: outcomes, refusals, the events published
(and none when refused), and the security rules (lockout, per-source throttling, single-use tokens and
codes, one answer for every login refusal)."""
from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from recert_common.auth import Role
from recert_common.rules import parse_registration_number
from recert_identity.domain import (
    AccountExists,
    AccountLockedOut,
    AccountNotFound,
    AlreadyDisabled,
    ChallengeKind,
    ChallengeRefused,
    CodeRefused,
    CredentialsRejected,
    DisablingOneself,
    EmailLinkInvalid,
    EmailUnverified,
    InputRefused,
    RefreshRefused,
    TotpNotEnrolled,
    TotpResetNotAllowed,
)

PASSWORD = "correct horse battery"
NEW_PASSWORD = "paars konijn fietst langzaam"
HERE, THERE = "10.0.0.1", "10.0.0.2"


# --- helpers ---------------------------------------------------------------------------------------------


def number(value: str = "1234567"):
    return parse_registration_number(value)


def secret_of(uri: str) -> str:
    return parse_qs(urlparse(uri).query)["secret"][0]


def code_at(secret: str, now, steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(now) + steps)


def registered(service, email="jan@example.org", membership="1234567", password=PASSWORD):
    token = service.register_jobcoach(email=email, full_name="Jan Jansen", password=password,
                                      number=number(membership))
    return service.verify_email(token, password)


class Person:
    def __init__(self, account, secret, tokens):
        self.account, self.secret, self.tokens = account, secret, tokens

    @property
    def id(self):
        return self.account.id


def enrolled(service, clock, email="jan@example.org", membership="1234567") -> Person:
    account = registered(service, email, membership)
    challenge = service.start_login(email, PASSWORD, HERE)
    assert challenge.kind is ChallengeKind.ENROL
    secret = secret_of(challenge.otpauth_uri)
    tokens = service.finish_login(challenge.challenge_id, code_at(secret, clock()), HERE)
    return Person(account, secret, tokens)


def log_in(service, clock, person, source=HERE, steps=0):
    challenge = service.start_login(person.account.email, PASSWORD, source)
    return service.finish_login(challenge.challenge_id, code_at(person.secret, clock(), steps), source)


def staff(service, roles=(Role.NOLOC_ADMIN,), email="admin@example.org"):
    return service.create_staff(email=email, full_name="Noor Jansen", password=PASSWORD, roles=roles)


def types(uow) -> list[str]:
    return uow.published_types()


def sid(tokens) -> str:
    import jwt
    return jwt.decode(tokens.access_token, options={"verify_signature": False})["sid"]


# --- registration and verification -----------------------------------------------------------------------


def test_a_new_address_gets_an_unverified_account_and_a_link(service, uow):
    token = service.register_jobcoach(email=" Jan@Example.org ", full_name=" Jan Jansen ", password=PASSWORD,
                                      number=number())
    account = service.find_by_email("jan@example.org")
    assert token and account.email == "Jan@Example.org" and account.full_name == "Jan Jansen"
    assert not account.email_verified and account.roles == (Role.JOBCOACH,)
    assert types(uow) == ["identity.email.verification_requested"]
    assert uow.published[-1].data["token"] == token


def test_a_weak_password_is_refused_before_anything_happens(service, uow):
    with pytest.raises(InputRefused) as refused:
        service.register_jobcoach(email="jan@example.org", full_name="Jan Jansen", password="wachtwoord12",
                                  number=number())
    assert refused.value.errors == {"password": ["identity.password.guessable"]}
    assert uow.published == [] and service.find_by_email("jan@example.org") is None


def test_registering_an_unverified_address_again_replaces_its_data_and_only_the_new_link_works(service, uow):
    first = service.register_jobcoach(email="jan@example.org", full_name="Een Vreemde", password=PASSWORD,
                                      number=number())
    second = service.register_jobcoach(email="jan@example.org", full_name="Jan Jansen", password=NEW_PASSWORD,
                                       number=number("EXT-000123"))
    account = service.find_by_email("jan@example.org")
    assert (account.full_name, account.membership_kind) == ("Jan Jansen", "affiliate")
    with pytest.raises(EmailLinkInvalid):
        service.verify_email(first, NEW_PASSWORD)
    assert service.verify_email(second, NEW_PASSWORD).email_verified


def test_registering_a_verified_address_tells_its_owner(service, uow):
    owner = registered(service)
    assert service.register_jobcoach(email="JAN@example.org", full_name="X", password=NEW_PASSWORD,
                                     number=number("7654321")) is None
    assert types(uow)[-1] == "identity.registration.attempted"
    assert uow.published[-1].data == {"account_id": str(owner.id), "attempted_with": "email"}


def test_a_number_of_verified_accounts_blocks_no_one_and_their_owners_are_told(service, uow):
    owner = registered(service)
    token = service.register_jobcoach(email="piet@example.org", full_name="Piet", password=NEW_PASSWORD,
                                      number=number())
    assert token is not None
    attempted = [e for e in uow.published if e.type == "identity.registration.attempted"]
    assert [(e.data["account_id"], e.data["attempted_with"]) for e in attempted] == [
        (str(owner.id), "membership_number")]


def test_verifying_needs_the_registration_password_and_spends_the_link(service, uow):
    token = service.register_jobcoach(email="jan@example.org", full_name="Jan Jansen", password=PASSWORD,
                                      number=number())
    with pytest.raises(InputRefused) as wrong:
        service.verify_email(token, NEW_PASSWORD)
    assert wrong.value.errors == {"password": ["identity.field.registration_password_wrong"]}
    assert types(uow) == ["identity.email.verification_requested"]
    account = service.verify_email(token, PASSWORD)  # the wrong password left the link usable
    assert account.email_verified
    assert types(uow)[-1] == "identity.account.registered"
    assert uow.published[-1].data["account_id"] == str(account.id)
    with pytest.raises(EmailLinkInvalid):
        service.verify_email(token, PASSWORD)
    with pytest.raises(EmailLinkInvalid):
        service.verify_email("unknown", PASSWORD)


def test_an_expired_link_does_not_verify(service, clock, settings):
    token = service.register_jobcoach(email="jan@example.org", full_name="Jan Jansen", password=PASSWORD,
                                      number=number())
    clock.advance(seconds=settings.verification_ttl_seconds)
    with pytest.raises(EmailLinkInvalid):
        service.verify_email(token, PASSWORD)


# --- staff and administration ----------------------------------------------------------------------------


def test_staff_accounts_are_verified_and_a_taken_address_is_refused_openly(service, uow):
    admin = staff(service, roles=[Role.NOLOC_ADMIN, Role.ASSESSOR, Role.ASSESSOR])
    assert admin.email_verified and admin.roles == (Role.ASSESSOR, Role.NOLOC_ADMIN)
    assert types(uow) == ["identity.account.registered"]
    with pytest.raises(AccountExists) as taken:
        staff(service, email="ADMIN@example.org")
    assert taken.value.fields == ("email",)
    assert types(uow) == ["identity.account.registered"]


def test_accounts_are_listed_oldest_first_and_filtered_by_role(service, clock):
    admin = staff(service)
    clock.advance(seconds=1)
    coach = registered(service)
    assert service.list_accounts(role=None, page=1, page_size=10) == ([admin, coach], 2)
    assert service.list_accounts(role=Role.JOBCOACH, page=1, page_size=10) == ([coach], 1)
    assert service.list_accounts(role=None, page=2, page_size=1) == ([coach], 2)
    assert service.account(coach.id) == coach
    with pytest.raises(AccountNotFound):
        service.account(uuid.uuid4())


def test_a_profile_change_is_announced_only_when_something_changed(service, uow):
    account = registered(service)
    assert service.update_profile(account.id, full_name="Jan Jansen", preferred_language="nl") == account
    assert types(uow)[-1] == "identity.account.registered"
    changed = service.update_profile(account.id, full_name="Jan de Vries", preferred_language="nl")
    assert changed.full_name == "Jan de Vries"
    assert types(uow)[-1] == "identity.account.updated" and uow.published[-1].data["changed"] == ["full_name"]


def test_disabling_ends_every_session_and_refuses_its_tokens_here_at_once(service, uow, clock):
    admin = staff(service)
    person = enrolled(service, clock)
    disabled = service.disable(person.id, by=admin.id, reason="left")
    assert disabled.disabled and disabled.disabled_by == admin.id
    assert types(uow)[-1] == "identity.account.disabled"
    assert uow.published[-1].data == {"account_id": str(person.id), "disabled_by": str(admin.id),
                                      "reason": "left"}
    assert uow.db.account_revocations[person.id]["disabled_at"] == clock()
    with pytest.raises(RefreshRefused):
        service.refresh(person.tokens.refresh_token)
    with pytest.raises(CredentialsRejected):
        service.start_login(person.account.email, PASSWORD, HERE)
    published = len(uow.published)
    with pytest.raises(AlreadyDisabled):
        service.disable(person.id, by=admin.id)
    with pytest.raises(DisablingOneself):
        service.disable(admin.id, by=admin.id)
    assert len(uow.published) == published


def test_a_totp_reset_unlinks_the_app_ends_sessions_and_only_an_admin_resets_staff(service, uow, clock):
    person = enrolled(service, clock)
    officer = staff(service, roles=[Role.DNV_OFFICER], email="dnv@example.org")
    admin = staff(service)
    reset = service.reset_totp(person.id, by=officer.id, by_roles=[Role.DNV_OFFICER])
    assert not reset.totp_enrolled and reset.totp_reset_at == clock()
    assert types(uow)[-2:] == ["identity.account.sessions_ended", "identity.totp.reset"]
    assert uow.published[-2].data["reason"] == "totp_reset"
    assert not any(key[0] == person.id for key in uow.db.recovery_codes)
    with pytest.raises(TotpNotEnrolled):
        service.reset_totp(person.id, by=admin.id)
    with pytest.raises(TotpResetNotAllowed):
        service.reset_totp(admin.id, by=officer.id, by_roles=[Role.DNV_OFFICER])
    assert service.start_login(person.account.email, PASSWORD, HERE).kind is ChallengeKind.ENROL


def test_dnv_support_resets_from_a_service_request_the_desk_matched_to_the_account(service, uow, clock):
    import uuid

    from recert_identity.domain import DeskRequest, DeskResetRefused, InputRefused
    person = enrolled(service, clock)
    helper = staff(service, roles=[Role.DNV_SUPPORT], email="helpdesk@example.org")
    officer = staff(service, roles=[Role.DNV_OFFICER], email="dnv@example.org")
    requests = {}
    asked = []

    class Desk:
        def request(self, request_id, *, token):
            asked.append(token)
            return requests.get(request_id)

    service.desk = lambda: Desk()
    with pytest.raises(InputRefused) as missing:
        service.reset_totp(person.id, by=helper.id, by_roles=[Role.DNV_SUPPORT], token="t")
    assert set(missing.value.errors) == {"service_request_id", "identity_check"}
    unmatched, matched = uuid.uuid4(), uuid.uuid4()
    requests[unmatched] = DeskRequest(unmatched, None, "open")
    requests[matched] = DeskRequest(matched, person.id, "open")
    with pytest.raises(DeskResetRefused) as refused:
        service.reset_totp(person.id, by=helper.id, by_roles=[Role.DNV_SUPPORT], service_request_id=unmatched,
                           identity_check="Gebeld", token="t")
    assert refused.value.reason == "request_not_matched"
    with pytest.raises(TotpResetNotAllowed):  # an officer's account: refused before the desk is asked
        service.reset_totp(officer.id, by=helper.id, by_roles=[Role.DNV_SUPPORT], service_request_id=matched,
                           identity_check="Gebeld", token="t")
    assert asked == ["t"]
    reset = service.reset_totp(person.id, by=helper.id, by_roles=[Role.DNV_SUPPORT],
                               service_request_id=matched, identity_check="Gebeld", token="t")
    assert not reset.totp_enrolled
    event = uow.published[-1]
    assert event.type == "identity.totp.reset"
    assert (event.data["service_request_id"], event.data["identity_check"]) == (str(matched), "Gebeld")


def test_a_service_request_named_in_a_reset_is_always_checked_and_named_only_by_the_desk(service, uow, clock):
    """The event's request gets the reset noted in its thread, with the identity check: an officer or an
    admin naming another person's request (or a support officer who is a DNV officer too) must not put it
    there."""
    import uuid

    from recert_identity.domain import DeskRequest, DeskResetRefused, InputRefused
    person = enrolled(service, clock)
    other = uuid.uuid4()
    someone_elses = uuid.uuid4()

    class Desk:
        def request(self, request_id, *, token):
            return {someone_elses: DeskRequest(someone_elses, other, "open")}.get(request_id)

    service.desk = lambda: Desk()
    published = len(uow.published)
    for roles in ([Role.DNV_OFFICER], [Role.NOLOC_ADMIN]):
        with pytest.raises(InputRefused) as refused:
            service.reset_totp(person.id, by=uuid.uuid4(), by_roles=roles, service_request_id=someone_elses,
                               identity_check="Paspoort", token="t")
        assert refused.value.errors == {"service_request_id": ["identity.field.desk_request_support_only"]}
    with pytest.raises(DeskResetRefused) as not_hers:
        service.reset_totp(person.id, by=uuid.uuid4(), by_roles=[Role.DNV_SUPPORT, Role.DNV_OFFICER],
                           service_request_id=someone_elses, identity_check="Paspoort", token="t")
    assert not_hers.value.reason == "request_not_matched"
    assert len(uow.published) == published and service.account(person.id).totp_enrolled
    assert not service.reset_totp(person.id, by=uuid.uuid4(), by_roles=[Role.DNV_OFFICER]).totp_enrolled


def test_the_seed_enrols_an_app_without_a_login(service, uow):
    account = staff(service)
    assert service.totp_secret(account.id) is None
    secret = pyotp.random_base32()
    codes = service.enrol_totp(account.id, secret)
    assert len(codes) == 10 and service.totp_secret(account.id) == secret
    assert types(uow)[-1] == "identity.totp.enrolled"
    assert uow.published[-1].data["after_reset"] is False


# --- login -----------------------------------------------------------------------------------------------


def test_a_first_login_enrols_the_app_and_gives_recovery_codes(service, uow, clock):
    person = enrolled(service, clock)
    assert len(person.tokens.recovery_codes) == 10
    assert types(uow)[-1] == "identity.totp.enrolled"
    assert service.account(person.id).totp_enrolled
    assert service.start_login(person.account.email, PASSWORD, HERE).kind is ChallengeKind.TOTP


def test_every_refusal_of_step_one_is_the_same_and_costs_one_argon2_verification(service, hasher, monkeypatch,
                                                                                 clock):
    registered(service)
    verified = []
    original = type(hasher).verify
    monkeypatch.setattr(type(hasher), "verify", lambda self, h, p: verified.append(h) or original(self, h, p))
    for email, password in (("nobody@example.org", PASSWORD), ("jan@example.org", "wrong password!")):
        with pytest.raises(CredentialsRejected):
            service.start_login(email, password, HERE)
    assert len(verified) == 2 and verified[0] is None  # the unknown address: the dummy hash


def test_an_unverified_account_is_told_only_with_the_right_password_and_gets_a_new_link(service, uow):
    service.register_jobcoach(email="jan@example.org", full_name="Jan Jansen", password=PASSWORD,
                              number=number())
    with pytest.raises(CredentialsRejected):
        service.start_login("jan@example.org", "wrong password!", HERE)
    with pytest.raises(EmailUnverified):
        service.start_login("jan@example.org", PASSWORD, HERE)
    assert types(uow) == ["identity.email.verification_requested"] * 2


def test_five_wrong_passwords_lock_the_account_and_the_lock_is_announced_once(service, uow, clock, settings):
    person = enrolled(service, clock)
    for _ in range(settings.lock_threshold):
        with pytest.raises(CredentialsRejected):
            service.start_login(person.account.email, "wrong password!", THERE)
    account = service.account(person.id)
    assert account.locked_until == clock() + timedelta(seconds=settings.lock_seconds)
    assert types(uow).count("identity.account.locked") == 1
    assert uow.published[-1].data["reason"] == "failed_passwords"
    # The failing source is locked out, even with the right password; failures while locked do not count.
    with pytest.raises(CredentialsRejected):
        service.start_login(person.account.email, PASSWORD, THERE)
    assert service.account(person.id).locked_until == account.locked_until
    # A source that has not failed (the owner, elsewhere) still gets through, and logging in clears the lock.
    log_in(service, clock, person, source=HERE, steps=1)
    assert service.account(person.id).lockout.failed_attempts == 0
    assert service.account(person.id).locked_until is None


def test_the_lock_ends_after_its_time(service, clock, settings):
    person = enrolled(service, clock)
    for _ in range(settings.lock_threshold):
        with pytest.raises(CredentialsRejected):
            service.start_login(person.account.email, "wrong password!", THERE)
    clock.advance(seconds=settings.lock_seconds)
    assert service.start_login(person.account.email, PASSWORD, THERE).kind is ChallengeKind.TOTP


def test_a_totp_code_works_once(service, uow, clock):
    person = enrolled(service, clock)
    clock.advance(seconds=30)
    used = code_at(person.secret, clock())
    challenge = service.start_login(person.account.email, PASSWORD, HERE)
    service.finish_login(challenge.challenge_id, used, HERE)
    challenge = service.start_login(person.account.email, PASSWORD, HERE)
    with pytest.raises(CodeRefused):
        service.finish_login(challenge.challenge_id, used, HERE)
    with pytest.raises(CodeRefused):  # an older code inside the window neither
        service.finish_login(challenge.challenge_id, code_at(person.secret, clock(), -1), HERE)
    assert service.account(person.id).failed_attempts == 2


def test_a_recovery_code_works_once(service, clock):
    person = enrolled(service, clock)
    recovery = person.tokens.recovery_codes[0]
    challenge = service.start_login(person.account.email, PASSWORD, HERE)
    assert service.finish_login(challenge.challenge_id, recovery.lower(), HERE).access_token
    challenge = service.start_login(person.account.email, PASSWORD, HERE)
    with pytest.raises(CodeRefused):
        service.finish_login(challenge.challenge_id, recovery, HERE)


def test_an_enrolment_takes_no_recovery_code_and_a_challenge_expires_and_is_used_once(service, clock,
                                                                                      settings):
    registered(service)
    challenge = service.start_login("jan@example.org", PASSWORD, HERE)
    with pytest.raises(CodeRefused):
        service.finish_login(challenge.challenge_id, "0000-0000-0000-0000", HERE)
    secret = secret_of(challenge.otpauth_uri)
    clock.advance(seconds=settings.challenge_ttl_seconds)
    with pytest.raises(ChallengeRefused):
        service.finish_login(challenge.challenge_id, code_at(secret, clock()), HERE)
    challenge = service.start_login("jan@example.org", PASSWORD, HERE)
    secret = secret_of(challenge.otpauth_uri)
    service.finish_login(challenge.challenge_id, code_at(secret, clock()), HERE)
    with pytest.raises(ChallengeRefused):
        service.finish_login(challenge.challenge_id, code_at(secret, clock(), 1), HERE)
    with pytest.raises(ChallengeRefused):
        service.finish_login("unknown", "123456", HERE)


def test_five_wrong_codes_lock_the_account_and_end_its_challenges(service, uow, clock, settings):
    person = enrolled(service, clock)
    challenge = service.start_login(person.account.email, PASSWORD, THERE)
    for _ in range(settings.lock_threshold - 1):
        with pytest.raises(CodeRefused):
            service.finish_login(challenge.challenge_id, "000000", THERE)
    with pytest.raises(AccountLockedOut) as locked:
        service.finish_login(challenge.challenge_id, "000000", THERE)
    assert locked.value.locked_until == clock() + timedelta(seconds=settings.lock_seconds)
    assert locked.value.now == clock()
    assert types(uow)[-1] == "identity.account.locked"
    assert uow.published[-1].data["reason"] == "failed_totp_codes"
    with pytest.raises(ChallengeRefused):  # the lock ended the challenges
        service.finish_login(challenge.challenge_id, code_at(person.secret, clock(), 1), THERE)


def test_a_source_locked_out_of_the_account_is_told_of_its_lock_in_step_two(service, clock, settings):
    person = enrolled(service, clock)
    challenge = service.start_login(person.account.email, PASSWORD, THERE)
    for _ in range(settings.lock_threshold - 1):
        with pytest.raises(CodeRefused):
            service.finish_login(challenge.challenge_id, "000000", THERE)
    log_in(service, clock, person, source=HERE, steps=1)  # the owner: the account's count starts afresh
    challenge = service.start_login(person.account.email, PASSWORD, THERE)
    with pytest.raises(CodeRefused):  # the source's fifth failure locks the source, not the account
        service.finish_login(challenge.challenge_id, "000000", THERE)
    assert not service.account(person.id).lockout.is_locked(clock())
    with pytest.raises(AccountLockedOut) as locked:
        service.finish_login(challenge.challenge_id, code_at(person.secret, clock(), -1), THERE)
    assert locked.value.locked_until == clock() + timedelta(seconds=settings.lock_seconds)
    with pytest.raises(CredentialsRejected):
        service.start_login(person.account.email, PASSWORD, THERE)
    assert service.start_login(person.account.email, PASSWORD, HERE).kind is ChallengeKind.TOTP


def test_a_rehash_of_an_old_hash_happens_on_the_way_to_a_challenge(service, uow, clock, hasher, monkeypatch):
    person = enrolled(service, clock)
    monkeypatch.setattr(type(hasher), "needs_rehash", lambda self, h: True)
    before = service.account(person.id).password_hash
    service.start_login(person.account.email, PASSWORD, HERE)
    assert service.account(person.id).password_hash != before


# --- sessions --------------------------------------------------------------------------------------------


def test_a_refresh_rotates_and_a_reused_token_ends_the_session(service, uow, clock):
    person = enrolled(service, clock)
    first = person.tokens.refresh_token
    second = service.refresh(first)
    assert second.refresh_token != first and sid(second) == sid(person.tokens)
    with pytest.raises(RefreshRefused):
        service.refresh(first)
    assert types(uow)[-1] == "identity.session.ended"
    assert uow.published[-1].data["reason"] == "refresh_token_reused"
    family = uow.db.families[uuid.UUID(sid(person.tokens))]
    assert family["revoked_reason"] == "reuse_detected"
    assert uow.db.revoked_sessions[uuid.UUID(sid(person.tokens))]["reason"] == "refresh_token_reused"
    with pytest.raises(RefreshRefused):  # the copy's successor is dead too
        service.refresh(second.refresh_token)
    with pytest.raises(RefreshRefused):
        service.refresh("unknown")


def test_a_session_ends_when_it_expires(service, clock, settings):
    person = enrolled(service, clock)
    clock.advance(seconds=settings.refresh_token_ttl_seconds)
    with pytest.raises(RefreshRefused):
        service.refresh(person.tokens.refresh_token)


def test_logout_ends_the_session_once_and_an_unknown_token_is_no_error(service, uow, clock):
    person = enrolled(service, clock)
    service.logout(person.tokens.refresh_token)
    assert types(uow)[-1] == "identity.session.ended"
    assert uow.published[-1].data["reason"] == "logout"
    published = len(uow.published)
    service.logout(person.tokens.refresh_token)
    service.logout("unknown")
    assert len(uow.published) == published
    with pytest.raises(RefreshRefused):
        service.refresh(person.tokens.refresh_token)


def test_end_every_session(service, uow, clock):
    person = enrolled(service, clock)
    other = log_in(service, clock, person, steps=1)
    ended = service.end_every_session(person.id, reason="password_reset")
    assert sorted(map(str, ended)) == sorted([sid(person.tokens), sid(other)])
    assert types(uow)[-1] == "identity.account.sessions_ended"
    assert uow.db.account_revocations[person.id]["tokens_not_before"] == clock()


# --- passwords -------------------------------------------------------------------------------------------


def test_changing_the_password_keeps_this_session_and_ends_the_others(service, uow, clock):
    person = enrolled(service, clock)
    other = log_in(service, clock, person, steps=1)
    this = uuid.UUID(sid(person.tokens))
    service.change_password(person.id, current_password=PASSWORD, new_password=NEW_PASSWORD, session_id=this)
    event = uow.published[-1]
    assert event.type == "identity.account.sessions_ended"
    assert event.data["kept_session_id"] == str(this) and event.data["session_ids"] == [sid(other)]
    assert event.data["reason"] == "password_changed"
    assert service.refresh(person.tokens.refresh_token)
    with pytest.raises(RefreshRefused):
        service.refresh(other.refresh_token)
    with pytest.raises(CredentialsRejected):
        service.start_login(person.account.email, PASSWORD, HERE)


def test_ending_every_session_ends_the_pending_login_steps_too(service, uow, clock):
    """Someone holding the password and a code keeps a step 1 alive; the owner's change or 'log out
    everywhere' must end it, or the old password still finishes a login (ADR 0018)."""
    person = enrolled(service, clock)
    this = uuid.UUID(sid(person.tokens))
    pending = service.start_login(person.account.email, PASSWORD, THERE)
    service.change_password(person.id, current_password=PASSWORD, new_password=NEW_PASSWORD, session_id=this)
    with pytest.raises(ChallengeRefused):
        service.finish_login(pending.challenge_id, code_at(person.secret, clock(), 1), THERE)
    pending = service.start_login(person.account.email, NEW_PASSWORD, THERE)
    service.end_every_session(person.id, reason="administrative", keep_session_id=this)
    with pytest.raises(ChallengeRefused):
        service.finish_login(pending.challenge_id, code_at(person.secret, clock(), 1), THERE)


class _ChangesDuringCheck:
    """The hasher's slow check is where another request can commit: ``during`` runs inside it once."""

    def __init__(self, hasher, during):
        self.hasher, self.during = hasher, during

    def verify(self, stored, password):
        correct = self.hasher.verify(stored, password)
        during, self.during = self.during, None
        if during:
            during()
        return correct

    def __getattr__(self, name):
        return getattr(self.hasher, name)


def test_a_password_reset_during_step_1_with_the_old_password_gives_no_challenge(service, clock, hasher,
                                                                                 monkeypatch):
    person = enrolled(service, clock)
    token = service.request_password_reset(person.account.email)
    monkeypatch.setattr(type(hasher), "needs_rehash", lambda self, h: True)  # nor may a rehash bring it back
    service.hasher = _ChangesDuringCheck(hasher, lambda: service.reset_password(token, NEW_PASSWORD))
    with pytest.raises(CredentialsRejected):
        service.start_login(person.account.email, PASSWORD, HERE)
    service.hasher = hasher
    with pytest.raises(CredentialsRejected):
        service.start_login(person.account.email, PASSWORD, HERE)
    assert service.start_login(person.account.email, NEW_PASSWORD, HERE).kind is ChallengeKind.TOTP


def test_a_password_changed_while_the_old_one_was_checked_is_not_changed_again(service, clock, hasher):
    person = enrolled(service, clock)
    token = service.request_password_reset(person.account.email)
    service.hasher = _ChangesDuringCheck(hasher, lambda: service.reset_password(token, NEW_PASSWORD))
    with pytest.raises(InputRefused):
        service.change_password(person.id, current_password=PASSWORD, new_password="nog een lang wachtwoord",
                                session_id=None)
    service.hasher = hasher
    assert service.start_login(person.account.email, NEW_PASSWORD, HERE).kind is ChallengeKind.TOTP


def test_a_wrong_current_password_counts_and_locks(service, uow, clock, settings):
    person = enrolled(service, clock)
    with pytest.raises(InputRefused) as same:
        service.change_password(person.id, current_password=PASSWORD, new_password=PASSWORD, session_id=None)
    assert same.value.errors == {"new_password": ["identity.password.unchanged"]}
    for _ in range(settings.lock_threshold - 1):
        with pytest.raises(InputRefused) as wrong:
            service.change_password(person.id, current_password="wrong password!", new_password=NEW_PASSWORD,
                                    session_id=None)
        assert wrong.value.errors == {"current_password": ["identity.field.current_password_wrong"]}
    with pytest.raises(AccountLockedOut):
        service.change_password(person.id, current_password="wrong password!", new_password=NEW_PASSWORD,
                                session_id=None)
    published = len(uow.published)
    with pytest.raises(AccountLockedOut):  # locked: not even the right one is tried
        service.change_password(person.id, current_password=PASSWORD, new_password=NEW_PASSWORD,
                                session_id=None)
    assert len(uow.published) == published


def test_a_password_reset_link_goes_only_to_a_usable_account(service, uow, clock):
    person = enrolled(service, clock)
    service.register_jobcoach(email="piet@example.org", full_name="Piet", password=PASSWORD,
                              number=number("7654321"))
    published = len(uow.published)
    assert service.request_password_reset("nobody@example.org") is None
    assert service.request_password_reset("piet@example.org") is None  # unverified
    assert len(uow.published) == published
    token = service.request_password_reset(person.account.email.upper())
    assert types(uow)[-1] == "identity.password.reset_requested" and uow.published[-1].data["token"] == token


def test_a_password_reset_ends_every_session_and_its_link_works_once(service, uow, clock):
    person = enrolled(service, clock)
    token = service.request_password_reset(person.account.email)
    with pytest.raises(InputRefused):
        service.reset_password(token, "wachtwoord12")  # the link stays usable for a better one
    service.reset_password(token, NEW_PASSWORD)
    assert types(uow)[-2:] == ["identity.account.sessions_ended", "identity.password.reset"]
    assert uow.published[-2].data["reason"] == "password_reset"
    with pytest.raises(EmailLinkInvalid):
        service.reset_password(token, NEW_PASSWORD + "!")
    with pytest.raises(RefreshRefused):
        service.refresh(person.tokens.refresh_token)
    assert service.start_login(person.account.email, NEW_PASSWORD, HERE).kind is ChallengeKind.TOTP


# --- closing and erasure ---------------------------------------------------------------------------------


def test_closing_needs_the_password_disables_and_erasure_follows_the_grace_period(service, uow, clock,
                                                                                  settings):
    person = enrolled(service, clock)
    with pytest.raises(InputRefused):
        service.close_account(person.id, "wrong password!")
    assert service.account(person.id).failed_attempts == 1 and person.id not in uow.db.closed_at
    service.close_account(person.id, PASSWORD)
    assert types(uow)[-1] == "identity.account.disabled"
    assert uow.published[-1].data["reason"] == "closed by its holder"
    assert service.account(person.id).disabled
    with pytest.raises(RefreshRefused):
        service.refresh(person.tokens.refresh_token)
    assert uow.db.account_revocations[person.id]["disabled_at"] == clock()  # identity's own read model

    grace = timedelta(days=settings.erase_after_days)
    assert service.erase_closed_accounts(clock() + grace - timedelta(hours=1)) == 0
    assert service.erase_closed_accounts(clock() + grace) == 1
    with pytest.raises(AccountNotFound):
        service.account(person.id)
    assert types(uow) == ["identity.account.erased"]  # what was sent about the person went with them
    assert uow.published[-1].data["account_id"] == str(person.id)


# --- keys and housekeeping -------------------------------------------------------------------------------


def test_the_key_set_is_never_empty_and_a_rotation_publishes_ahead(service, uow, clock, settings):
    [first] = service.jwks()["keys"]
    rotated = service.rotate_keys()
    assert {k["kid"] for k in service.jwks()["keys"]} == {first["kid"], rotated["kid"]}
    immediate = service.rotate_keys(immediately=True)
    # A leak: the key that signed until now is withdrawn; the one published ahead never signed, it stays.
    assert immediate["withdrawn"] == [first["kid"]]
    assert {k["kid"] for k in service.jwks()["keys"]} == {rotated["kid"], immediate["kid"]}
    person = enrolled(service, clock)
    import jwt
    assert jwt.get_unverified_header(person.tokens.access_token)["kid"] == immediate["kid"]
    clock.advance(seconds=settings.key_publish_ahead_seconds + settings.access_token_ttl_seconds + 301)
    service.purge_expired()
    assert [k.kid for k in uow.db.signing_keys if k.private_jwk_encrypted] == [rotated["kid"]]


def test_purging_removes_what_nobody_can_use_any_more(service, uow, clock, settings):
    person = enrolled(service, clock)
    service.start_login(person.account.email, PASSWORD, HERE)
    clock.advance(seconds=settings.refresh_token_ttl_seconds)
    nothing = {"challenges": 0, "families": 0, "email_tokens": 0, "login_throttles": 0}
    assert service.purge_expired() == {**nothing, "challenges": 1, "families": 1}
    assert service.purge_expired() == nothing
