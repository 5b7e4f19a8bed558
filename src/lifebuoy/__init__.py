"""Lifebuoy: self-hosted remote support, end-to-end encrypted.

Packages:

- ``lifebuoy.protocol``: the channel (sans-I/O), shared by every end.
- ``lifebuoy.gateway``: the relay that pairs the two ends of a session.
- ``lifebuoy.site``: the Django site (accounts, Administration Center, API).
"""

__version__ = "0.1.0"
