"""Production settings pass Django's deployment checks and carry the security settings the operations guide
promises (run in a separate process: the test settings are not the production ones)."""

import base64
import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "FIELD_HASH_KEY": secrets.token_urlsafe(32),
    "ALLOWED_HOSTS": "grassroots.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
}


def production(*args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # none of the test process's own switches (the browser tests allow async-unsafe calls, for instance)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SESSION_", "CSRF_", "DJANGO_", "DATABASE_", "GRASSROOTS_"))
    }
    env.update(PRODUCTION_ENV | (extra or {}))
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_preloading_is_only_recommended_not_silenced_when_chosen():
    result = production("manage.py", "check", "--deploy", extra={"SECURE_HSTS_PRELOAD": "true"})
    assert result.returncode == 0 and "no issues" in result.stdout


def test_production_security_settings():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({n: getattr(s, n) for n in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SESSION_COOKIE_HTTPONLY', 'X_FRAME_OPTIONS', 'DEBUG')}))"
    )
    result = production("-c", script)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "X_FRAME_OPTIONS": "DENY",
        "DEBUG": False,
    }


def test_production_refuses_to_start_without_secrets():
    result = production("manage.py", "check", extra={"SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
