"""Verifiable credentials of the Register Jobcoach: the W3C VC 2.0 / Open Badges 3.0 shape (``model``),
secured as a VC-JOSE JWT with Ed25519 (``jose``), revocation and lapse in a W3C Bitstring Status List
(``statuslist``), and verification with a reason for each refusal (``verify``), shared by the assessment
service and the command-line verifier (``cli``, the ``recert-verify`` console script)."""
