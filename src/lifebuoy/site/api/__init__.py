"""The REST API (Django Ninja), with its OpenAPI schema at /api/v1/openapi.json."""
