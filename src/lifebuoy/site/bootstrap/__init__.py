"""First-run preparation: key files, certificates, database, demo organization.

Every step reuses what exists, so ``lifebuoy serve`` can run it each time.
"""
