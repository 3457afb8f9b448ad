"""Database plumbing shared by the domain packages: the declarative base, portable column
types, engine and session factories, and migrations.  No business rules live here."""
