"""The gateway's own messages (Dutch first, English available), added to recert_common's catalogue."""
from __future__ import annotations

from recert_common.i18n import register_messages

register_messages({
    "detail.cors_refused": {
        "nl": "Dit verzoek van een andere website is niet toegestaan.",
        "en": "This cross-origin request is not allowed."},
    "detail.invalid_path": {
        "nl": "Dit adres is niet geldig: lege, '.' of '..' delen zijn niet toegestaan.",
        "en": "This address is not valid: empty, '.' or '..' segments are not allowed."},
    "detail.rate_limited": {
        "nl": "Te veel pogingen. Probeer het over {retry_after} seconden opnieuw.",
        "en": "Too many attempts. Please try again in {retry_after} seconds."},
    "detail.rate_limit_store_unavailable": {
        "nl": "Inloggen en registreren kunnen even niet. Probeer het over enkele ogenblikken opnieuw.",
        "en": "Logging in and registering are briefly unavailable. Please try again in a moment."},
    "detail.no_browser_session": {
        "nl": "Je bent niet (meer) ingelogd in deze browser. Log opnieuw in.",
        "en": "You are not (or no longer) logged in in this browser. Please log in again."},
    "detail.portal_not_built": {
        "nl": "Het portaal is op deze server niet geïnstalleerd; de API werkt wel (/api/v1).",
        "en": "The portal is not installed on this server; the API works (/api/v1)."},
    "detail.body_unreadable": {
        "nl": "De inhoud van het verzoek kon niet volledig worden ontvangen.",
        "en": "The request body could not be received completely."},
})
