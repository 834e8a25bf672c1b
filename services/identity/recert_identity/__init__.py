"""The identity service: accounts and roles, login with password and TOTP, access and refresh tokens, and the
signing keys whose public halves every other service verifies against."""
