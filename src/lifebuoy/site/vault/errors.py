"""The vault's exceptions (tree in the package docstring)."""


class VaultError(Exception):
    """Encrypted data cannot be sealed or opened."""


class MasterKeyMissing(VaultError):
    """The master key file is absent or unreadable."""


class MasterKeyMismatch(VaultError):
    """The master key file does not hold the key the database was sealed with."""


class DecryptionFailed(VaultError):
    """A ciphertext is damaged, or names a data key that cannot be opened."""
