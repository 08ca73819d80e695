"""The outside of Hotline: the ``hotline`` command line (and, later, the HTTP API and
web pages). Business logic lives in the domain packages; this package composes them."""
