"""How the HTTP API and the pages present domain records: one shape, shared by both."""
