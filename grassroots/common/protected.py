"""Protected personal data: encrypted at rest, findable by a keyed hash, shown masked.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256). ``FIELD_ENCRYPTION_KEYS`` lists keys newest
first: the first encrypts, every key decrypts, so a key is rotated by prepending a new one and running
``manage.py rotate_field_keys``. The blind index is HMAC-SHA256 under ``FIELD_HASH_KEY`` of the normalised
value, so an exact value can be found without decrypting any row.
"""

from __future__ import annotations

import hashlib
import hmac
import operator
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^\+?[\d\- ]{5,20}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-]")


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(key) for key in keys])


def reset_key_cache() -> None:
    _fernet.cache_clear()


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a key was removed before rotation finished
        raise ImproperlyConfigured("A protected value cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt under the newest key (no-op for empty values)."""
    return _fernet().rotate(token.encode()).decode() if token else ""


def blind_index(value: str) -> str:
    if not value:
        return ""
    key = settings.FIELD_HASH_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def normalise_id_number(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def normalise_phone(value: str) -> str:
    return _PHONE_SEPARATORS.sub("", (value or "").strip())


def id_number_check_digit(first17: str) -> str:
    if len(first17) != len(_ID_WEIGHTS):
        raise ValueError("the check digit is computed from exactly 17 digits")
    return _ID_CHECK[sum(map(operator.mul, map(int, first17), _ID_WEIGHTS)) % 11]


def id_number_problem(value: str) -> str | None:
    """Why a resident ID number (GB 11643-1999) is invalid, or None when it is valid."""
    value = normalise_id_number(value)
    if not _ID_RE.match(value):
        return "must be 17 digits followed by a digit or X"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "contains an impossible birth date"
    if id_number_check_digit(value[:17]) != value[17]:
        return "check digit is wrong"
    return None


def id_number_birth_date(value: str) -> date:
    value = normalise_id_number(value)
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_number_gender(value: str) -> str:
    return "male" if int(normalise_id_number(value)[16]) % 2 else "female"


def phone_problem(value: str) -> str | None:
    if not _PHONE_RE.match(value or ""):
        return "is not a phone number"
    return None


def mask_id_number(value: str) -> str:
    value = normalise_id_number(value)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    value = normalise_phone(value)
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


@dataclass(frozen=True)
class ProtectedValue:
    """The three stored columns of one protected value."""

    encrypted: str
    hash: str
    masked: str


def protect_id_number(value: str) -> ProtectedValue:
    value = normalise_id_number(value)
    return ProtectedValue(encrypt(value), blind_index(value), mask_id_number(value) if value else "")


def protect_phone(value: str) -> ProtectedValue:
    value = normalise_phone(value)
    return ProtectedValue(encrypt(value), blind_index(value), mask_phone(value) if value else "")
