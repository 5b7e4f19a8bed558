"""Encryption at rest: AES-256-GCM envelope encryption.

Each organization has data keys; each data key is stored wrapped (encrypted)
by the master key, which lives in a file outside the database. Every
ciphertext names the data key that sealed it, so keys can be rotated without
re-encrypting everything at once.

Errors::

    VaultError
    ├── MasterKeyMissing     the master key file is absent or unreadable
    ├── MasterKeyMismatch    the file holds another key than the database needs
    └── DecryptionFailed     a ciphertext is damaged or under an unknown key
"""
