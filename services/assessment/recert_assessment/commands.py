"""Assessment's own operator commands: ``rotate-credential-key`` (ADR 0030). Each prints JSON on stdout."""
from __future__ import annotations

import json
import sys

from recert_assessment.service import AssessmentService, build_service
from recert_assessment.settings import AssessmentSettings


def rotate_credential_key(settings: AssessmentSettings, argv: list[str], *,
                          service: AssessmentService | None = None) -> int:
    """A new current issuer key for credentials; every earlier key stays published (the same as the Noloc
    admin's POST /v1/credentials/keys/rotate)."""
    if argv and argv != ["--"]:
        print("usage: python -m recert_assessment rotate-credential-key", file=sys.stderr)
        return 2
    service = service or build_service(settings)
    key = service.credentials.rotate_key()
    json.dump({"kid": key.kid, "activates_at": key.activates_at.isoformat()}, sys.stdout, indent=2)
    print()
    return 0
