"""Settings for the test suite: fixed throw-away keys, fast hashing; DATABASE_URL still picks the engine."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 60)
# Two keys so that rotation is exercised: the first encrypts.
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEYS",
    "sJ4v8Qm0n3p9XyZ1bC2dE5fG7hJ8kL0mN2oP4qR6sT8=,3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
)
os.environ.setdefault("FIELD_HASH_KEY", "test-hash-key")
os.environ.setdefault("GRASSROOTS_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "10000/min", "user": "100000/min"}  # noqa: F405
# WhiteNoise serves from STATIC_ROOT; the suite never collects static files, so an empty one is enough.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
