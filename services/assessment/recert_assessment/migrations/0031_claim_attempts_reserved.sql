-- A claim of a certificate counts as a failed attempt from the moment it is tried, under a per-account lock,
-- and is forgotten only if it succeeds: tries at the same moment can no longer each see fewer failures than
-- there are. So each attempt needs an identity of its own to be forgotten by.
ALTER TABLE claim_attempts ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
