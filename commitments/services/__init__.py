"""Use cases of the commitments domain (承诺制) over a database session, one module per use case;
the caller commits.

From signature to verdict: :mod:`.drafting` drafts the 承诺书 from the project's plot and data
with the zone's policy; the enterprise signs it with its own registered key (:mod:`.keys`,
:mod:`.signatures`); an administrator counter-signs and publishes it, which schedules the
checkpoints (:mod:`.monitoring`); the daily monitor gives the regulators their tasks and judges
the overdue ones; regulators record inspections and verdicts (:mod:`.inspections`).  Every unit
of work that appends to the ledger ends with a tree head signed by the platform key
(:mod:`.ledger_store`, entries built by :mod:`.payloads`).  Reading: :mod:`.queries`,
:mod:`.publication` (公示), :mod:`.grading`, :mod:`.documents` (PDF).
"""
