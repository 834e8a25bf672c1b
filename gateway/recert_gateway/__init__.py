"""The gateway: the one HTTP API (``/api/v1/...``) for web and mobile frontends, in front of the services."""
