"""Shared library of the Register Jobcoach recertification platform."""
