"""The Administration Center: groups, technicians, administrators, settings."""
