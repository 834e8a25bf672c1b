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
    "detail.body_unreadable": {
        "nl": "De inhoud van het verzoek kon niet volledig worden ontvangen.",
        "en": "The request body could not be received completely."},
})
