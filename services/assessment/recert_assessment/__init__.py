"""The assessment service: after a portfolio is submitted DNV checks the PE points, an assessor judges the
portfolio, DNV decides, and the certificate is renewed or lapses. It also owns the certificates, their
expiry reminders and the public register."""
