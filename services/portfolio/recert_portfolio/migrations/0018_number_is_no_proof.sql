-- Issue 11 (ADR 0018): several verified accounts may give one membership number; Noloc's meetings go to the
-- one that holds the number's certificate (it has a cycle), never to whoever typed the number.
ALTER TABLE accounts DROP CONSTRAINT accounts_membership_number_key;
CREATE INDEX accounts_membership_number ON accounts (membership_number);
