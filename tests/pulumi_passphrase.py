"""The Pulumi CLI's passphrase check of a stack file's ``encryptionsalt``, in Python.

As pulumi/pulumi does it (pkg/secrets/passphrase/manager.go and
sdk/go/common/resource/config/crypt.go): a key from PBKDF2-HMAC-SHA256 of the passphrase over
an 8-byte salt, 1,000,000 rounds, 32 bytes; the word ``pulumi`` sealed with AES-256-GCM under a
12-byte nonce (the tag appended); the whole written ``v1:<salt>:v1:<nonce>:<sealed>`` in padded
standard base64. The CLI accepts a passphrase when the sealed word opens to ``pulumi``.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["encryption_salt", "passphrase_opens"]

_ROUNDS = 1_000_000
_WORD = b"pulumi"


def _key(passphrase: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, _ROUNDS, dklen=32)


def encryption_salt(passphrase: str, salt: bytes, nonce: bytes) -> str:
    """The ``encryptionsalt`` the CLI writes for ``passphrase`` with this salt and nonce."""
    if (len(salt), len(nonce)) != (8, 12):
        raise ValueError("the CLI uses an 8-byte salt and a 12-byte nonce")
    sealed = AESGCM(_key(passphrase, salt)).encrypt(nonce, _WORD, None)

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"v1:{b64(salt)}:v1:{b64(nonce)}:{b64(sealed)}"


def passphrase_opens(passphrase: str, state: str) -> bool:
    """Whether the CLI would accept ``passphrase`` for a stack whose salt is ``state``."""
    version, salt, message = state.split(":", 2)
    inner, nonce, sealed = message.split(":")
    if (version, inner) != ("v1", "v1"):
        return False
    aes = AESGCM(_key(passphrase, base64.b64decode(salt)))
    try:
        return aes.decrypt(base64.b64decode(nonce), base64.b64decode(sealed), None) == _WORD
    except InvalidTag:
        return False
