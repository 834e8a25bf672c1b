-- The service desk's e-mails belong to their request (ADR 0029, amended 2026-12-07): the confirmation link,
-- the answers to a logged-out requester and the mails to support hold the requester's name, address and
-- texts, with no account to delete them by (recipient_id is null). Deleting the request deletes them: on
-- erasure, and when a request never confirmed is purged.
ALTER TABLE messages ADD COLUMN service_request_id uuid REFERENCES service_requests (id) ON DELETE CASCADE;
CREATE INDEX messages_service_request ON messages (service_request_id) WHERE service_request_id IS NOT NULL;

-- The e-mails made before: their fact names the request (the confirmation) or one of its posts.
UPDATE messages m SET service_request_id = r.id FROM service_requests r
WHERE m.template LIKE 'desk\_%' AND m.fact_key = m.template || ':request=' || r.id::text;
UPDATE messages m SET service_request_id = p.request_id FROM service_request_posts p
WHERE m.template LIKE 'desk\_%' AND m.fact_key = m.template || ':post=' || p.id::text;
