"""承诺制: commitments made from a standard plot's indicators, signed by the enterprise and
counter-signed by the administration, kept in a tamper-evident ledger (hash chain + RFC 6962
Merkle tree with signed tree heads), and monitored to fulfilment (checkpoints, inspections,
verdicts, consequences, 亩均论英雄 grades, PDF documents)."""
