"""Response headers, request limits, web-session lifetime and error pages."""
