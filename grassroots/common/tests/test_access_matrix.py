"""The access-control matrix: every role × every API operation and every page, on a generated demo county.

Three kinds of assertion, all over the whole URL space (nothing is listed by hand):

- invariants that hold whatever the matrix says: no answer is a server error; an anonymous caller gets 401
  from every API operation that is not public and is sent to the login page from every page that is not;
  an object outside the caller's scope answers 404 — never 200 and never 403 — on its detail and on every
  action on it, and every object the caller's list shows opens;
- every write is probed with an empty body, so a role that may act gets a validation answer (400) and a role
  that may not gets 403 or 404, without anything being written (the test's transaction is rolled back, and
  no background job starts because nothing is committed);
- the answers are the documented ones: ``docs/access-matrix.md`` is the table of them. A change of access
  shows up as a difference; after a deliberate change, ``GRASSROOTS_WRITE_ACCESS_MATRIX=1`` rewrites it.
"""

from __future__ import annotations

import io
import os
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from grassroots.common.models import Role
from grassroots.common.testing import page_paths

pytestmark = pytest.mark.django_db

MATRIX = Path(settings.BASE_DIR) / "docs" / "access-matrix.md"
ROLES = ["anonymous", Role.RESIDENT, Role.OFFICER, Role.LEADER, Role.HR, Role.ADMIN]
# Open to everyone by design: the public intake (rate-limited), tracking and feedback, the token exchange.
PUBLIC_API = re.compile(r"^(POST /api/requests/|\w+ /api/public/.*|POST /api/auth/token/)$")
# Lists that are a work queue rather than everything in scope: an object missing from them may still be in
# the caller's scope, so for these only the answers are recorded.
QUEUES = {
    "/api/clock-alerts/": "the open escalations of the caller's units; any alert on a visible request opens",
}
PUBLIC_PAGES = re.compile(r"^/(login/|public/)")
PARAM = re.compile(r"\{[^}]+\}")


def users() -> dict[str, object]:
    """One demo account per role; the leader and the officer are the ones with the narrowest scope."""
    chosen: dict[str, object] = {"anonymous": None}
    model = get_user_model()
    for role in ROLES[1:]:
        candidates = list(model.objects.filter(role=role, username__startswith="demo-").order_by("username"))
        assert candidates, f"the demo has no {role} account"
        chosen[role] = candidates[-1]
    return chosen


def api_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def page_client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (path, method.upper())
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


def ids_of(response) -> list[str]:
    body = response.json() if response.status_code == 200 else None
    rows = body.get("results") if isinstance(body, dict) else body
    if not isinstance(rows, list):
        return []
    return [str(row["id"]) for row in rows if isinstance(row, dict) and "id" in row]


def every_id(client: APIClient, path: str) -> list[str]:
    """The ids a list shows, across its pages (bounded)."""
    found: list[str] = []
    url: str | None = f"{path}?page_size=200"
    for _ in range(20):
        if url is None:
            break
        response = client.get(url)
        found += ids_of(response)
        body = response.json() if response.status_code == 200 else None
        url = body.get("next") if isinstance(body, dict) else None
    return found


def test_every_role_every_operation_and_page():
    call_command(
        "demo",
        scale="tiny",
        seed=11,
        households=300,
        as_of=date(2025, 6, 30),
        no_progress=True,
        stdout=io.StringIO(),
    )
    who = users()
    problems: list[str] = []
    matrix: dict[str, dict[str, str]] = defaultdict(dict)
    ops = operations()
    collections = {path for path, method in ops if method == "GET" and not PARAM.search(path)}
    assert len(ops) > 80

    # Lists and other operations without a path parameter: the answer per role.
    for path, method in ops:
        if PARAM.search(path):
            continue
        for role in ROLES:
            client = api_client(who[role])
            response = (
                client.get(path)
                if method == "GET"
                else client.generic(method, path, "{}", "application/json")
            )
            code = response.status_code
            matrix[f"{method} {path}"][role] = str(code)
            if code >= 500:
                problems.append(f"{role} {method} {path}: {code}")
            if role == "anonymous" and not PUBLIC_API.match(f"{method} {path}") and code != 401:
                problems.append(f"anonymous {method} {path}: {code}, expected 401")
            if method != "GET" and role != "anonymous" and code in (200, 201, 202, 204):
                # An empty body must never be enough to change anything.
                problems.append(f"{role} {method} {path} with an empty body: {code}")

    # Objects: for each detail path whose collection is listed, the caller's list decides the scope.
    admin_ids: dict[str, list[str]] = {}
    for path, method in ops:
        names = PARAM.findall(path)
        if len(names) != 1 or not path.endswith("/"):
            continue
        head = path[: path.index(names[0])]
        if head not in collections:
            continue
        if head not in admin_ids:
            admin_ids[head] = every_id(api_client(who[Role.ADMIN]), head)
        all_ids = admin_ids[head]
        if not all_ids:
            matrix[f"{method} {path}"] = dict.fromkeys(ROLES, "no objects in the demo")
            continue
        for role in ROLES[1:]:
            client = api_client(who[role])
            refused = client.get(head).status_code in (403, 404)  # the role may not use this list at all
            visible = set(every_id(client, head))
            inside = next((i for i in all_ids if i in visible), None)
            outside = next((i for i in all_ids if i not in visible), None)
            cells = []
            if outside is not None and head not in QUEUES:
                url = path.replace(names[0], outside)
                response = (
                    client.get(url)
                    if method == "GET"
                    else client.generic(method, url, "{}", "application/json")
                )
                if response.status_code != 404 and not (refused and response.status_code == 403):
                    problems.append(
                        f"{role} {method} {url} (outside the list): {response.status_code}, expected 404"
                    )
                cells.append(f"out {response.status_code}")
            if inside is not None:
                url = path.replace(names[0], inside)
                response = (
                    client.get(url)
                    if method == "GET"
                    else client.generic(method, url, "{}", "application/json")
                )
                if response.status_code >= 500:
                    problems.append(f"{role} {method} {url}: {response.status_code}")
                # the object itself opens (a sub-resource may need parameters or exist only for some kinds)
                if method == "GET" and path == f"{head}{names[0]}/" and response.status_code != 200:
                    problems.append(f"{role} GET {url} (in its list): {response.status_code}, expected 200")
                cells.append(f"in {response.status_code}")
            matrix[f"{method} {path}"][role] = " · ".join(cells) or "—"
        matrix[f"{method} {path}"]["anonymous"] = str(
            api_client(None)
            .generic(method, path.replace(names[0], all_ids[0]), "{}", "application/json")
            .status_code
        )

    # Pages without a path argument.
    for path in ["/login/", *page_paths()]:
        for role in ROLES:
            response = page_client(who[role]).get(path)
            code = response.status_code
            matrix[f"page {path}"][role] = str(code)
            if code >= 500:
                problems.append(f"{role} page {path}: {code}")
            public = PUBLIC_PAGES.match(path) or path == "/api/docs/"
            if role == "anonymous" and not public and (code != 302 or "/login/" not in response["Location"]):
                problems.append(f"anonymous page {path}: {code}, expected a redirect to the login page")

    assert problems == [], "\n".join(problems)

    table = render(matrix)
    if os.environ.get("GRASSROOTS_WRITE_ACCESS_MATRIX") == "1":
        MATRIX.write_text(table)
    documented = MATRIX.read_text() if MATRIX.exists() else ""
    assert documented == table, (
        "the answers differ from docs/access-matrix.md; if the change is deliberate, rewrite it with "
        "GRASSROOTS_WRITE_ACCESS_MATRIX=1 and review the difference"
    )


def render(matrix: dict[str, dict[str, str]]) -> str:
    lines = [
        "# Access-control matrix",
        "",
        "What each role is answered, on the demo county, for every API operation and every page without a path",
        "argument. Written by `grassroots/common/tests/test_access_matrix.py`, which fails when the application",
        "answers anything else (`GRASSROOTS_WRITE_ACCESS_MATRIX=1` rewrites it after a deliberate change).",
        "",
        "- A number is the HTTP status. Writes are sent with an empty body: **400** means the role may do it",
        "  (the body was refused), **403** the role never may, **404** the object is outside the role's scope.",
        "- For an operation on one object: `out` is an object the role's list does not show (always 404),",
        "  `in` one it shows. Anonymous: 401 from the API, 302 to the login page from pages, except the public",
        "  intake, tracking and feedback.",
        "",
        "| operation | " + " | ".join(str(r) for r in ROLES) + " |",
        "|---|" + "---|" * len(ROLES),
    ]
    for key in sorted(matrix):
        row = matrix[key]
        lines.append(f"| `{key}` | " + " | ".join(row.get(str(r), "") for r in ROLES) + " |")
    return "\n".join(lines) + "\n"
