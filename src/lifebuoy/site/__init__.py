"""The Lifebuoy site: a Django project with one app per feature.

- ``accounts``: organizations, technician groups, users, login and lockout.
- ``audit``: the hash-chained, append-only audit log.
- ``vault``: encryption at rest (data keys wrapped by a master key).
- ``admincenter``: the Administration Center pages.
- ``console``: the technician's pages.
- ``api``: the REST API with its OpenAPI schema.
- ``security``: response headers, request limits, web-session lifetime.
"""
