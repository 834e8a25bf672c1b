"""The notifications service: keeps a contact read model from identity's events, turns every event a person
must hear about into messages in their language (Jinja2 templates kept as files), sends them by e-mail over
SMTP with retries and back-off, and keeps them in an in-app inbox that frontends read."""
