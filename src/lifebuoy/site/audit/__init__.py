"""The audit log: append-only, each event chained to the one before by hash.

``record`` appends an event; ``verify_chain`` walks the chain and names the
first broken link (used by ``lifebuoy check-audit``).
"""
