"""The `Data` field of ECPay's e-invoice API (v3): JSON, URL-encoded, AES-128-CBC with PKCS7 padding
(key = HashKey, IV = HashIV), then base64 — both ways, as ECPay's own SDK does it."""

import base64
import binascii
import json
from urllib.parse import quote_plus, unquote_plus

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class DataUnreadable(ValueError):
    """Not base64, not decryptable with these keys, or not JSON once decrypted."""


def _cipher(hash_key: str, hash_iv: str) -> Cipher:
    return Cipher(algorithms.AES128(hash_key.encode()), modes.CBC(hash_iv.encode()))


def data_encrypt(payload: dict, *, hash_key: str, hash_iv: str) -> str:
    # URL-encoded like PHP's urlencode (space as "+"), which ECPay's decoder reverses.
    plain = quote_plus(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), safe="").encode()
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = _cipher(hash_key, hash_iv).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def data_decrypt(text: str, *, hash_key: str, hash_iv: str) -> dict:
    try:
        raw = base64.b64decode(text, validate=True)
        decryptor = _cipher(hash_key, hash_iv).decryptor()
        padded = decryptor.update(raw) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        plain = unpadder.update(padded) + unpadder.finalize()
        payload = json.loads(unquote_plus(plain.decode("utf-8")))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise DataUnreadable(str(exc)) from exc
    if not isinstance(payload, dict):
        raise DataUnreadable("not a JSON object")
    return payload
