"""Secrets the help desk must read back (a mailbox's IMAP password), encrypted at rest.

Fernet (AES-128-CBC with an HMAC) from `cryptography`. The key is FIELD_ENCRYPTION_KEY from the
environment: a Fernet key, or any passphrase (hashed to one). Unset, it is derived from
SECRET_KEY, so a database dump alone never holds a working password. Rotating the key means
typing the passwords again (the admin says so when one cannot be read).
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class CannotDecrypt(Exception):
    """The value was encrypted with another key (FIELD_ENCRYPTION_KEY or SECRET_KEY changed)."""


def _fernet() -> Fernet:
    secret = settings.FIELD_ENCRYPTION_KEY or f"field-encryption:{settings.SECRET_KEY}"
    try:
        return Fernet(secret.encode())
    except ValueError:  # a passphrase, not a Fernet key: hash it to one
        digest = hashlib.sha256(secret.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise CannotDecrypt("stored with another FIELD_ENCRYPTION_KEY") from None
