"""What gateways report about sessions: lifecycle and byte counts.

The embedded gateway reports in process; standalone gateways POST batches to
``/api/v1/gateway/events`` with the bearer token in
``DATA_DIR/secrets/gateway-report.token``.
"""
