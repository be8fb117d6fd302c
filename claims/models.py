"""Claims, items, messages, documents and the event log: see the claims lifecycle issue."""
