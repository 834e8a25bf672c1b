"""The service desk's requests from people who cannot log in, against the real database: what the fast tests
(services/notifications/tests/test_desk.py) cannot show, requests at the same moment."""
from __future__ import annotations

import uuid

from races import Beside

from recert_notifications.service import NotificationsService
from recert_notifications.store import SqlNotificationsUnitOfWork


def test_requests_for_one_address_at_the_same_moment_keep_its_daily_limit(notifications):
    """Each logged-out request counts the address's unconfirmed requests of the last day before it adds its
    own and the e-mail with the confirmation link. Two at once would each count without the other and both
    pass the limit, so a flood from many client addresses could mail one inbox past it. A lock on the
    address makes the second count after the first commits."""
    h = notifications
    limit = h.settings.desk_unconfirmed_per_address
    address = f"rosa-{uuid.uuid4().hex[:8]}@example.org"

    def ask(service: NotificationsService) -> None:
        service.desk.open_request_logged_out(email=address, name="Rosa", subject="Telefoon kwijt",
                                             text="Ik kan niet meer inloggen.", language="nl")

    for _ in range(limit - 1):
        ask(h.service)
    with h.db.transaction() as held:  # the last request the limit allows, open until the next waits or ends
        ask(NotificationsService(lambda: SqlNotificationsUnitOfWork.joining(held), h.settings))
        second = Beside(lambda: ask(h.service))
        second.waits_on_a_lock_or_ends(h.db)
    assert second.finished(), second.failures
    assert h.scalar("SELECT count(*) FROM service_requests WHERE requester_email = %s", address) == limit
    assert h.scalar("SELECT count(*) FROM messages WHERE email_address = %s", address) == limit
