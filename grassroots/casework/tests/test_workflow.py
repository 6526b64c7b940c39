import ast
import threading
from pathlib import Path

import pytest
from django.db import connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from grassroots.casework.follow_up import follow_up_record
from grassroots.casework.models import Request, RequestEvent, RequestUnit
from grassroots.casework.services import IntakeInput, InvalidTransition, request_intake, request_transition
from grassroots.casework.workflow import TRANSITIONS, Action, Status
from grassroots.common.errors import Conflict, DomainError, Forbidden, ValidationFailed
from grassroots.common.models import AuditEntry

pytestmark = pytest.mark.django_db


def intake(world, **overrides):
    actor = overrides.pop("actor", world.user_officer_a1)
    values = {
        "channel": "window",
        "kind": "dispute",
        "title": "邻里宅基地纠纷",
        "description": "两户因宅基地边界争执",
        "region": world.village_a1,
        "reporter_resident": world.resident_a1,
    }
    values.update(overrides)
    return request_intake(actor=actor, data=IntakeInput(**values))


def test_happy_path_writes_one_event_per_step(world):
    request, created = intake(world)
    assert created and request.status == Status.REGISTERED
    officer, leader, other = world.user_officer_a1, world.user_leader_a, world.user_officer_a2
    request = request_transition(actor=officer, request=request, action=Action.ACCEPT)
    request = request_transition(
        actor=leader,
        request=request,
        action=Action.ASSIGN,
        data={
            "lead_unit": world.tribunal_a1,
            "assist_units": [world.tribunal_a2],
            "assignee": world.officer_a1,
        },
    )
    request = request_transition(actor=officer, request=request, action=Action.START)
    request = request_transition(
        actor=officer, request=request, action=Action.RESOLVE, data={"outcome": "agreement"}
    )
    follow_up_record(actor=other, request=request, reached=True, satisfaction="basically")
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.version == 7
    steps = list(request.events.values_list("action", "from_status", "to_status"))
    assert steps[0] == ("intake", "", "registered")
    assert [s[0] for s in steps[1:]] == [
        "accept",
        "assign",
        "start",
        "resolve",
        "schedule_follow_up",
        "close",
    ]
    assert AuditEntry.objects.filter(object_type="casework.request", object_id=str(request.pk)).count() == 8
    assert set(RequestUnit.objects.filter(request=request).values_list("role", "unit__code")) == {
        ("lead", "CA-T1"),
        ("assist", "CA-T2"),
    }


def test_resolver_cannot_do_their_own_follow_up(world):
    request, _ = intake(world)
    for actor, action, data in [
        (world.user_officer_a1, Action.ACCEPT, {}),
        (world.user_leader_a, Action.ASSIGN, {"lead_unit": world.tribunal_a1}),
        (world.user_officer_a1, Action.START, {}),
        (world.user_officer_a1, Action.RESOLVE, {"outcome": "explained"}),
    ]:
        request = request_transition(actor=actor, request=request, action=action, data=data)
    with pytest.raises(Forbidden):
        request_transition(actor=world.user_officer_a1, request=request, action=Action.SCHEDULE_FOLLOW_UP)


def test_return_and_reassign(world):
    request, _ = intake(world)
    request = request_transition(actor=world.user_officer_a1, request=request, action=Action.ACCEPT)
    request = request_transition(
        actor=world.user_leader_a,
        request=request,
        action=Action.ASSIGN,
        data={"lead_unit": world.tribunal_a2},
    )
    with pytest.raises(ValidationFailed):
        request_transition(actor=world.user_officer_a2, request=request, action=Action.RETURN)
    request = request_transition(
        actor=world.user_officer_a2, request=request, action=Action.RETURN, reason="不属本庭辖区"
    )
    assert request.status == Status.ACCEPTED and request.return_count == 1
    request = request_transition(
        actor=world.user_leader_a,
        request=request,
        action=Action.ASSIGN,
        data={"lead_unit": world.tribunal_a1},
    )
    assert RequestUnit.objects.get(request=request, is_active=True, role="lead").unit == world.tribunal_a1


def test_extension_needs_a_different_approver(world):
    request, _ = intake(world)
    request = request_transition(actor=world.user_officer_a1, request=request, action=Action.ACCEPT)
    request = request_transition(
        actor=world.user_leader_a,
        request=request,
        action=Action.ASSIGN,
        data={"lead_unit": world.tribunal_a1},
    )
    request = request_transition(actor=world.user_leader_a, request=request, action=Action.START)
    request = request_transition(
        actor=world.user_leader_a,
        request=request,
        action=Action.REQUEST_EXTENSION,
        reason="需现场勘验",
        data={"days": 10},
    )
    with pytest.raises(Forbidden):
        request_transition(actor=world.user_leader_a, request=request, action=Action.APPROVE_EXTENSION)
    with pytest.raises(Forbidden):  # officers do not approve
        request_transition(actor=world.user_officer_a1, request=request, action=Action.APPROVE_EXTENSION)
    request = request_transition(actor=world.admin, request=request, action=Action.APPROVE_EXTENSION)
    assert not request.extension_pending
    event = request.events.get(action="approve_extension")
    assert event.data["days"] == 10
    from datetime import datetime, timedelta

    assert datetime.fromisoformat(event.data["due_after"]) - datetime.fromisoformat(
        event.data["due_before"]
    ) == (timedelta(days=10))
    assert request.extension_days_used == 10


def test_out_of_scope_actor_gets_not_found_and_nothing_changes(world):
    from grassroots.common.errors import NotFound

    request, _ = intake(world)
    with pytest.raises(NotFound):
        request_transition(actor=world.user_officer_b, request=request, action=Action.ACCEPT)
    with pytest.raises(NotFound):
        request_transition(actor=world.user_hr, request=request, action=Action.ACCEPT)
    assert Request.objects.get(pk=request.pk).status == Status.REGISTERED


def test_intake_is_idempotent_per_client_token(world):
    first, created = intake(world, client_token="tok-1")
    again, created_again = intake(world, client_token="tok-1")
    assert created and not created_again and again.pk == first.pk
    assert Request.objects.count() == 1
    with pytest.raises(Conflict):
        intake(world, client_token="tok-1", title="另一件事")


def test_anonymous_only_on_public_channels(world):
    with pytest.raises(ValidationFailed) as info:
        intake(world, reporter_resident=None, is_anonymous=True, kind="complaint")
    assert info.value.errors[0].field == "is_anonymous"
    request, _ = intake(
        world, reporter_resident=None, is_anonymous=True, kind="complaint", channel="web", actor=None
    )
    assert request.created_by is None


def _mentions_request(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "Request" for n in ast.walk(node))


def _request_names(tree: ast.AST) -> set[str]:
    """Names bound to Request rows or querysets: assigned from an expression that names the model, looped
    over one, or annotated with it."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            annotation = getattr(node, "annotation", None)
            if _mentions_request(node.value) or (annotation is not None and _mentions_request(annotation)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.For) and _mentions_request(node.iter) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            annotation = node.annotation
            if _mentions_request(annotation) or (
                isinstance(annotation, ast.Constant) and str(annotation.value).split("[")[0] == "Request"
            ):
                names.add(node.arg)
    return names


def _status_writes(tree: ast.AST) -> list[int]:
    """Line numbers of ``.status`` assignments and ``update(status=…)`` calls on Request rows or querysets."""
    bound = _request_names(tree)

    def is_request(expr: ast.AST) -> bool:
        while isinstance(expr, ast.Attribute | ast.Call | ast.Subscript):
            expr = expr.func if isinstance(expr, ast.Call) else expr.value
        return isinstance(expr, ast.Name) and (expr.id == "Request" or expr.id in bound)

    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "status" and is_request(target.value):
                lines.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"update", "bulk_update", "update_or_create"}
            and is_request(node.func.value)
            and (
                any(k.arg == "status" for k in node.keywords)
                or any(isinstance(a, ast.Constant) and a.value == "status" for a in node.args)
            )
        ):
            lines.append(node.lineno)
    return lines


def test_nothing_else_assigns_status():
    """Only the transition service writes Request.status (house rule 4). Every module is checked; the
    history writer (imported finished records, whose event trail is planned along the transition table and
    proved to replay in test_history) is the one other writer."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.rglob("*.py"):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        if path.parent.name == "casework" and path.name in {"services.py", "workflow.py", "history.py"}:
            continue
        offenders += [
            f"{path}:{line}" for line in _status_writes(ast.parse(path.read_text(encoding="utf-8")))
        ]
    services = (root / "casework" / "services.py").read_text(encoding="utf-8")
    assert services.count(".status = ") == 1
    assert offenders == []


def test_the_status_check_finds_direct_writes():
    """The check above is not blind: direct writes are reported, other models' statuses are not."""
    source = (
        "from grassroots.casework.models import Request\n"
        "def f(pk, job):\n"
        "    r = Request.objects.get(pk=pk)\n"
        "    r.status = 'closed'\n"
        "    Request.objects.filter(pk=pk).update(status='closed')\n"
        "    job.status = 'done'\n"
        "def g(req: Request):\n"
        "    req.status = 'closed'\n"
    )
    assert sorted(_status_writes(ast.parse(source))) == [4, 5, 8]


ACTORS = ["officer_a1", "officer_a2", "leader_a", "admin", "officer_b", "hr"]


class WorkflowMachine(RuleBasedStateMachine):
    """Any sequence of actions: allowed ones apply exactly as the table says, forbidden ones raise and
    change nothing; the event log always replays to the current status."""

    world = None

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        w = self.world
        self.users = {
            "officer_a1": w.user_officer_a1,
            "officer_a2": w.user_officer_a2,
            "leader_a": w.user_leader_a,
            "admin": w.admin,
            "officer_b": w.user_officer_b,
            "hr": w.user_hr,
        }
        self.request, _ = request_intake(
            actor=w.user_officer_a1,
            data=IntakeInput(
                channel="window",
                kind="dispute",
                title="t",
                description="d",
                region=w.village_a1,
                reporter_resident=w.resident_a1,
            ),
        )

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @rule(
        action=st.sampled_from(list(TRANSITIONS)),
        who=st.sampled_from(ACTORS),
        reason=st.sampled_from(["", "因"]),
        outcome=st.sampled_from(["agreement", "bogus"]),
        days=st.sampled_from([5, 0]),
    )
    def act(self, action, who, reason, outcome, days):
        w = self.world
        before = Request.objects.get(pk=self.request.pk)
        events_before = RequestEvent.objects.filter(request=before).count()
        data = {"lead_unit": w.tribunal_a1, "outcome": outcome, "days": days}
        try:
            with transaction.atomic():
                after = request_transition(
                    actor=self.users[who], request=before, action=action, reason=reason, data=data
                )
        except (DomainError, InvalidTransition):
            unchanged = Request.objects.get(pk=before.pk)
            assert (unchanged.status, unchanged.version) == (before.status, before.version)
            assert RequestEvent.objects.filter(request=before).count() == events_before
            return
        t = TRANSITIONS[action]
        assert before.status in t.sources
        assert after.status == (t.target or before.status)
        assert after.version == before.version + 1
        assert who not in ("officer_b", "hr")

    @invariant()
    def events_replay_to_status(self):
        request = Request.objects.get(pk=self.request.pk)
        events = list(RequestEvent.objects.filter(request=request).order_by("at", "id"))
        status = ""
        for event in events:
            assert event.from_status == status
            status = event.to_status
        assert status == request.status
        assert request.version == len(events)
        assert request.status in Status.values

    @invariant()
    def fields_agree_with_the_status(self):
        """What the status implies about the rest of the row, whatever sequence led here."""
        request = Request.objects.get(pk=self.request.pk)
        finished = request.status in (Status.RESOLVED, Status.FOLLOW_UP, Status.CLOSED)
        assert (request.resolved_at is not None) == finished
        assert bool(request.outcome) == finished
        if request.is_paused or request.extension_pending:
            # A reassignment keeps a legal pause and a pending extension with the matter.
            assert request.status in (Status.IN_PROGRESS, Status.ASSIGNED)
        if request.follow_up_due_at is not None:
            assert request.status in (Status.RESOLVED, Status.FOLLOW_UP)
        leads = RequestUnit.objects.filter(request=request, role="lead", is_active=True).count()
        assert leads <= 1
        if request.status in (Status.ASSIGNED, Status.IN_PROGRESS):
            assert leads == 1


def test_workflow_state_machine(world):
    WorkflowMachine.world = world
    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


@pytest.mark.django_db(transaction=True)
def test_two_officers_acting_at_once_one_wins(postgres_only):
    from grassroots.common.testing import build_world

    world = build_world()
    request, _ = intake(world)
    barrier = threading.Barrier(2)
    outcomes = []

    def act(user, action, reason):
        try:
            barrier.wait()
            request_transition(actor=user, request=request, action=action, reason=reason, expected_version=1)
            outcomes.append("applied")
        except (Conflict, InvalidTransition):
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=(world.user_officer_a1, Action.ACCEPT, "")),
        threading.Thread(target=act, args=(world.user_leader_a, Action.REJECT, "重复")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["applied", "conflict"]
    assert RequestEvent.objects.filter(request=request).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_token_make_one_request(postgres_only):
    from grassroots.common.testing import build_world

    world = build_world()
    barrier = threading.Barrier(4)
    ids = []

    def submit():
        try:
            barrier.wait()
            request, _ = intake(
                world,
                client_token="same-token",
                channel="web",
                actor=None,
                reporter_resident=None,
                reporter_name="匿名",
                kind="complaint",
            )
            ids.append(request.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 4 and len(set(ids)) == 1
    assert Request.objects.filter(client_token="same-token").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_officers_through_the_api_at_once_one_gets_a_clear_conflict(postgres_only):
    """Officer A accepts while the leader rejects, both having read version 1, through the HTTP API: one
    answer is 200, the other 409 naming the version, and the timeline holds exactly one of the two."""
    from rest_framework.test import APIClient

    from grassroots.common.testing import build_world

    world = build_world()
    request, _ = intake(world)
    barrier = threading.Barrier(2)
    answers = {}

    def act(name, user, body):
        client = APIClient()
        client.force_authenticate(user=user)
        try:
            barrier.wait()
            response = client.post(f"/api/requests/{request.pk}/transitions/", body, format="json")
            answers[name] = (response.status_code, response.json())
        finally:
            connections.close_all()

    threads = [
        threading.Thread(
            target=act, args=("accept", world.user_officer_a1, {"action": "accept", "version": 1})
        ),
        threading.Thread(
            target=act,
            args=("reject", world.user_leader_a, {"action": "reject", "version": 1, "reason": "重复"}),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in answers.values())
    assert codes == [200, 409]
    winner = next(name for name, (code, _) in answers.items() if code == 200)
    loser_body = next(body for code, body in answers.values() if code == 409)
    assert loser_body["error"]["code"] == "conflict" and "version" in loser_body["error"]["message"]
    request.refresh_from_db()
    assert request.status == ("accepted" if winner == "accept" else "rejected") and request.version == 2
    assert list(request.events.values_list("action", flat=True)) == ["intake", winner]
