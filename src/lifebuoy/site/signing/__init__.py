"""The site's Ed25519 signing keys: gateway tickets and key certificates.

The private key is stored sealed by the vault. Rotation starts a new key and
keeps the old one verifying for an overlap period, so tickets and
certificates issued just before a rotation stay valid until they expire.
"""
