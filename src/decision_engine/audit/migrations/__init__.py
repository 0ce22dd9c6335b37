"""Versioned schema migrations, one ordered list of SQL files per backend.

Files are named ``NNNN_description.sql``; each runs once, inside a transaction, and is
recorded in ``schema_migrations`` with its SHA-256 so an edited-after-release migration
is caught at start-up rather than silently diverging between databases.
"""
