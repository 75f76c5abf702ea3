"""Wiring of aiguillage: settings, database, authentication, the ASGI app and the CLI."""
