"""Organizations, technician groups, users; login, lockout and web sessions."""
