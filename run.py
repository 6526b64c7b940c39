#!/usr/bin/env python3
"""Grassroots set-up in one command each (needs only Python 3.11 and pip).

    python3 run.py demo   # virtualenv, install, migrate, demo county, logins, serve on 127.0.0.1:8000
    python3 run.py test   # virtualenv, install, lint, migration and schema checks, the test suite

`test` runs on SQLite; with CI=true (or --db both) it runs again on PostgreSQL
(TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VAR = ROOT / "var"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"
ASSETS = ROOT / "grassroots" / "insights" / "frontend"  # npm packages served as static files


def say(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(cmd: list[str], env: dict[str, str] | None = None, check: bool = True) -> int:
    result = subprocess.run(cmd, cwd=ROOT, env=env)
    if check and result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}")
    return result.returncode


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py may be started by an older python3
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]})")
    if not PY.exists():
        say("creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("installing dependencies from pyproject.toml")
    run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    target = f".[{extras}]" if extras else "."
    run([str(PY), "-m", "pip", "install", "--quiet", "-e", target])
    stamp.write_text(digest)


def ensure_assets() -> None:
    """Browser assets from the npm registry (Apache ECharts for the insights charts), pinned with their
    integrity hashes by ``package-lock.json`` and served locally as static files. Each tarball is fetched from
    the registry, checked against its lockfile hash and unpacked into ``node_modules`` (what ``npm ci`` does,
    without needing Node.js); installed again only when the lockfile changes."""
    lock_file = ASSETS / "package-lock.json"
    modules = ASSETS / "node_modules"
    stamp = modules / ".installed"
    digest = hashlib.sha256(lock_file.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("installing the browser assets (Apache ECharts) from the npm registry")
    registry = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")
    packages = json.loads(lock_file.read_text())["packages"]
    try:
        for key, meta in packages.items():
            if not key.startswith("node_modules/"):
                continue
            name = key.removeprefix("node_modules/")
            url = (
                meta.get("resolved") or f"{registry}/{name}/-/{name.rsplit('/', 1)[-1]}-{meta['version']}.tgz"
            )
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - the registry's https URL
                data = response.read()
            algorithm, _, expected = meta["integrity"].partition("-")
            if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != expected:
                sys.exit(
                    f"{name} {meta['version']}: the download does not match its integrity hash in {lock_file}"
                )
            target = modules / name
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
                for member in archive.getmembers():
                    # npm tarballs hold one top folder ("package/"); drop it, keep only files and folders
                    parts = Path(member.name).parts[1:]
                    if not parts or not (member.isfile() or member.isdir()):
                        continue
                    member.name = str(Path(*parts))
                    if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later: refuse unsafe members
                        archive.extract(member, target, filter="data")
                    elif not member.name.startswith(("/", "..")) and ".." not in Path(member.name).parts:
                        archive.extract(member, target)
    except (OSError, KeyError, tarfile.TarError) as error:
        print(
            f"could not install the browser assets from {registry} ({error}): the insights charts are left out, "
            "every figure is still shown in its table; run this again when the registry is reachable.",
            flush=True,
        )
        return
    stamp.write_text(digest)


def demo_env() -> dict[str, str]:
    """A production-like configuration with secrets generated once per checkout (kept in var/demo.env)."""
    VAR.mkdir(exist_ok=True)
    env_file = VAR / "demo.env"
    if not env_file.exists():
        values = {
            "SECRET_KEY": secrets.token_urlsafe(64),
            "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "FIELD_HASH_KEY": secrets.token_urlsafe(32),
        }
        env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        env_file.chmod(0o600)
    env = dict(os.environ)
    for line in env_file.read_text().splitlines():
        key, _, value = line.partition("=")
        env.setdefault(key, value)
    env.setdefault("DATABASE_URL", f"sqlite:///{VAR / 'grassroots.sqlite3'}")
    # Served over plain HTTP on loopback: no TLS redirect and no Secure-only cookies.
    env.update(
        {
            "DJANGO_DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
        }
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return env


def cmd_demo(args: argparse.Namespace) -> None:
    ensure_venv("")
    ensure_assets()
    env = demo_env()
    manage = [str(PY), "manage.py"]
    say("preparing the database")
    run([*manage, "migrate", "--noinput", "-v", "0"], env)
    run([*manage, "compile_translations"], env)
    run([*manage, "collectstatic", "--noinput", "-v", "0"], env)
    say(f"generating the demo {args.scale} (seed {args.seed}); skipped when it is already there")
    run([*manage, "demo", "--scale", args.scale, "--seed", str(args.seed)], env)
    say(f"serving on http://127.0.0.1:{args.port}/ (Ctrl+C stops)")
    run(
        [
            str(BIN / "waitress-serve"),
            f"--listen=127.0.0.1:{args.port}",
            "--threads=8",
            "config.wsgi:application",
        ],
        env,
        check=False,
    )


def dependency_audit(env: dict[str, str]) -> None:
    """pip-audit over the installed environment: known vulnerabilities fail the run. pip-audit reports "no known
    vulnerabilities" even when no vulnerability service could be reached and nothing was checked, so the
    packages actually audited are counted and a run that audited none says so (and fails when
    DEPENDENCY_AUDIT_REQUIRED=true)."""
    say("check: dependency audit (pip-audit)")
    result = subprocess.run(
        [str(BIN / "pip-audit"), "--local", "--format", "json", "--progress-spinner", "off"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    try:
        dependencies = json.loads(result.stdout)["dependencies"]
    except (ValueError, KeyError):
        dependencies = []
    audited = [d for d in dependencies if "vulns" in d]
    vulnerable = [d for d in audited if d["vulns"]]
    for dependency in vulnerable:
        ids = ", ".join(v["id"] for v in dependency["vulns"])
        print(f"  {dependency['name']} {dependency['version']}: {ids}", flush=True)
    if vulnerable:
        sys.exit(f"dependency audit: {len(vulnerable)} installed packages have known vulnerabilities")
    if audited:
        print(f"dependency audit: {len(audited)} packages audited, no known vulnerabilities", flush=True)
        return
    reason = next(
        (d["skip_reason"] for d in dependencies if "skip_reason" in d), result.stderr.strip()[-300:]
    )
    message = f"dependency audit NOT DONE: no vulnerability service answered ({reason or 'no output'})"
    if os.environ.get("DEPENDENCY_AUDIT_REQUIRED", "").lower() == "true":
        sys.exit(message)
    print(message, flush=True)


def cmd_test(args: argparse.Namespace) -> None:
    ensure_venv("dev")
    ensure_assets()
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    checks = [
        ("lint", [str(BIN / "ruff"), "check", "."]),
        ("format", [str(BIN / "ruff"), "format", "--check", "."]),
        ("translations", [str(PY), "manage.py", "compile_translations"]),
        ("migrations", [str(PY), "manage.py", "makemigrations", "--check", "--dry-run"]),
        ("openapi snapshot", [str(PY), "manage.py", "openapi_snapshot", "--check"]),
    ]
    for name, cmd in checks:
        say(f"check: {name}")
        run(cmd, env)
    dependency_audit(env)
    databases = ["sqlite"]
    if args.db == "both" or (args.db is None and os.environ.get("CI", "").lower() == "true"):
        databases.append("postgres")
    elif args.db == "postgres":
        databases = ["postgres"]
    failed = []
    for database in databases:
        run_env = dict(env)
        if database == "postgres":
            run_env["DATABASE_URL"] = os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)
        say(f"test suite on {database}")
        code = run([str(PY), "-m", "pytest", *args.pytest_args], run_env, check=False)
        if code == 5:
            print("pytest collected no tests: the suite is missing or its discovery is broken", flush=True)
            failed.append(database)
        elif code != 0:
            failed.append(database)
    if failed:
        sys.exit(f"test suite failed on: {', '.join(failed)}")
    say("all checks passed")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="start the demo")
    demo.add_argument("--scale", default="county", choices=["county", "city", "province"])
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(func=cmd_demo)
    test = sub.add_parser("test", help="run the checks and the whole test suite")
    test.add_argument("--db", choices=["sqlite", "postgres", "both"], default=None)
    test.add_argument("pytest_args", nargs="*", help="extra arguments for pytest")
    test.set_defaults(func=cmd_test)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
