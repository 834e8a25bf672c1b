-- What identity ended of an account, kept whatever order its events are handled in (ADR 0010 and ADR 0020,
-- amended 2026-12-07). identity.account.disabled was an UPDATE of the contact, so a registration replayed
-- from the dead letters after it made a contact that was not disabled: a closed account got e-mails again, a
-- disabled staff member the role's notices, and its address matched logged-out service requests. And an
-- account's profile replayed after identity.account.erased made the erased person's contact again, name and
-- e-mail. A tombstone holds the account id and the times only, no personal data; the contact upsert respects
-- it (a disabled account's contact is made disabled, an erased one's is not made). Contacts disabled before
-- this migration keep their disabled_at, which the upsert leaves as it is.
CREATE TABLE contact_tombstones (
    account_id  uuid PRIMARY KEY,
    disabled_at timestamptz,
    erased_at   timestamptz,
    CHECK (disabled_at IS NOT NULL OR erased_at IS NOT NULL)
);
