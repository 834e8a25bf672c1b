"""VC-JOSE: a credential secured as a JWT (W3C "Securing Verifiable Credentials using JOSE and COSE").

The JWT's payload is the credential itself; the header says ``typ: vc+jwt``, ``cty: vc``, ``alg: EdDSA``
(Ed25519) and the ``kid`` of the issuer key in the published key set. ``iss`` and ``jti`` repeat the
issuer's and the credential's ids (they may not conflict with them) and ``iat`` tells when it was signed.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jwt

from recert_common.credentials.model import issuer_id

ALGORITHM = "EdDSA"
TYP = "vc+jwt"
CTY = "vc"
MEDIA_TYPE = "application/vc+jwt"
MAX_TOKEN_CHARS = 64 * 1024


class NotAJwt(ValueError):
    """Not a compact JWS with a JSON header and payload."""


def sign(credential: Mapping[str, Any], private_jwk: Mapping[str, Any], kid: str, now: datetime) -> str:
    payload = dict(credential)
    payload.setdefault("iat", int(now.timestamp()))
    if issuer_id(credential):
        payload["iss"] = issuer_id(credential)
    if isinstance(credential.get("id"), str):
        payload["jti"] = credential["id"]
    key = jwt.PyJWK(dict(private_jwk), algorithm=ALGORITHM)
    return jwt.encode(payload, key.key, algorithm=ALGORITHM, headers={"typ": TYP, "cty": CTY, "kid": kid})


def _segment(text: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):  # too deep is no JSON of ours
        raise NotAJwt("a part is not base64url JSON") from None


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(header, payload)`` read without checking anything: for the checks that follow, and to show a
    refused credential."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise NotAJwt("not a JWT of an allowed size")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise NotAJwt("a JWT has three parts")
    header, payload = _segment(parts[0]), _segment(parts[1])
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise NotAJwt("header and payload are JSON objects")
    return header, payload


def credential_from_jwt_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The credential without the JWT's own claims."""
    return {k: v for k, v in payload.items() if k not in ("iss", "jti", "iat", "exp", "nbf", "sub")}


def token_in(text: str) -> str:
    """The JWT in what a person pasted or uploaded: the token itself, or the download's JSON
    (``{"jwt": ...}``), or a JSON string."""
    stripped = text.strip()
    if stripped.startswith("{") or stripped.startswith('"'):
        try:
            document = json.loads(stripped)
        except (ValueError, RecursionError):
            raise NotAJwt("neither a JWT nor JSON") from None
        if isinstance(document, Mapping):
            document = document.get("jwt")
        if not isinstance(document, str):
            raise NotAJwt("the JSON holds no jwt")
        return document.strip()
    return stripped
