"""Writes to the workforce: units, posts, officers and assignments, each audited."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from grassroots.common.audit import audit_record
from grassroots.common.errors import FieldError, Forbidden, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.models import Region

from .models import Assignment, AssignmentKind, Officer, Post, Unit, UnitKind


def _require_workforce_admin(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_hr):
        raise Forbidden("Only the political/HR department and administrators change the workforce")


def unit_create(
    *,
    actor: Actor | Any,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    region: Region | None = None,
) -> Unit:
    actor = as_actor(actor)
    _require_workforce_admin(actor)
    errors = []
    if Unit.objects.filter(code=code).exists():
        errors.append(FieldError("code", f"unit code {code} already exists", code="duplicate"))
    if kind not in UnitKind.values:
        errors.append(FieldError("kind", f"must be one of {', '.join(UnitKind.values)}"))
    if errors:
        raise ValidationFailed("Unit not created", errors)
    with transaction.atomic():
        unit = Unit.objects.create(
            code=code,
            name=name,
            kind=kind,
            parent=parent,
            region=region,
            path=f"{parent.path if parent else ''}{code}/",
        )
        audit_record(
            actor=actor, action="unit.create", obj=unit, data={"code": code, "name": name, "kind": kind}
        )
    return unit


def post_create(
    *,
    actor: Actor | Any,
    unit: Unit,
    code: str,
    name: str,
    is_front_line: bool = False,
    is_leadership: bool = False,
    difficulty_weight: Decimal | float = 1,
    min_staff: int = 0,
    max_staff: int = 1,
) -> Post:
    actor = as_actor(actor)
    _require_workforce_admin(actor)
    errors = []
    if Post.objects.filter(code=code).exists():
        errors.append(FieldError("code", f"post code {code} already exists", code="duplicate"))
    if max_staff < min_staff:
        errors.append(FieldError("max_staff", "must not be below the minimum staff"))
    if Decimal(str(difficulty_weight)) <= 0:
        errors.append(FieldError("difficulty_weight", "must be positive"))
    if errors:
        raise ValidationFailed("Post not created", errors)
    with transaction.atomic():
        post = Post.objects.create(
            unit=unit,
            code=code,
            name=name,
            is_front_line=is_front_line,
            is_leadership=is_leadership,
            difficulty_weight=Decimal(str(difficulty_weight)),
            min_staff=min_staff,
            max_staff=max_staff,
        )
        audit_record(
            actor=actor,
            action="post.create",
            obj=post,
            data={"code": code, "unit": unit.code, "front_line": is_front_line},
        )
    return post


def officer_create(
    *,
    actor: Actor | Any,
    staff_number: str,
    name: str,
    hire_date: date,
    title: str = "",
    gender: str = "",
    username: str | None = None,
    password: str | None = None,
    role: str = Role.OFFICER,
    skills: list[str] | None = None,
    birth_date: date | None = None,
) -> Officer:
    """Create an officer, and their login account when ``username`` is given."""
    actor = as_actor(actor)
    _require_workforce_admin(actor)
    errors = []
    if Officer.objects.filter(staff_number=staff_number).exists():
        errors.append(
            FieldError("staff_number", f"staff number {staff_number} already exists", code="duplicate")
        )
    if role not in (Role.OFFICER, Role.LEADER, Role.HR):
        errors.append(FieldError("role", "must be officer, leader or hr"))
    user_model = get_user_model()
    if username and user_model.objects.filter(username=username).exists():
        errors.append(FieldError("username", f"user {username} already exists", code="duplicate"))
    if errors:
        raise ValidationFailed("Officer not created", errors)
    with transaction.atomic():
        user = None
        if username:
            user = user_model(username=username, role=role)
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        officer = Officer.objects.create(
            user=user,
            staff_number=staff_number,
            name=name,
            hire_date=hire_date,
            title=title,
            gender=gender,
            skills=skills or [],
            birth_date=birth_date,
        )
        audit_record(
            actor=actor,
            action="officer.create",
            obj=officer,
            data={"staff_number": staff_number, "name": name, "role": role},
        )
    return officer


def assignment_create(
    *,
    actor: Actor | Any,
    officer: Officer,
    post: Post,
    start: date,
    end: date | None = None,
    kind: str = AssignmentKind.ACTUAL,
    note: str = "",
    close_current: bool = True,
) -> Assignment:
    """Record that ``officer`` holds ``post`` from ``start``. With ``close_current`` an open actual
    assignment that began earlier is ended the day before; any other overlap is refused."""
    actor = as_actor(actor)
    _require_workforce_admin(actor)
    if end is not None and end < start:
        raise ValidationFailed("Assignment not created", [FieldError("end", "must not be before the start")])
    with transaction.atomic():
        Officer.objects.select_for_update().get(pk=officer.pk)  # serialise changes to one officer's history
        same_kind = Assignment.objects.filter(officer=officer, kind=kind)
        if close_current and kind == AssignmentKind.ACTUAL:
            for open_one in same_kind.filter(end__isnull=True, start__lt=start):
                open_one.end = start - timedelta(days=1)
                open_one.save(update_fields=["end"])
                audit_record(actor=actor, action="assignment.end", obj=open_one, data={"end": open_one.end})
        overlap = same_kind.filter(start__lte=end or date.max).filter(Q(end__isnull=True) | Q(end__gte=start))
        if overlap.exists():
            clash = overlap.select_related("post").first()
            raise ValidationFailed(
                "Assignment not created",
                [
                    FieldError(
                        "start",
                        f"overlaps the assignment to {clash.post.name} from {clash.start}",
                        code="overlap",
                    )
                ],
            )
        assignment = Assignment.objects.create(
            officer=officer, post=post, start=start, end=end, kind=kind, note=note
        )
        audit_record(
            actor=actor,
            action="assignment.create",
            obj=assignment,
            data={
                "officer": officer.staff_number,
                "post": post.code,
                "start": start,
                "end": end,
                "kind": kind,
            },
        )
    return assignment


def assignment_end(*, actor: Actor | Any, assignment: Assignment, end: date) -> Assignment:
    actor = as_actor(actor)
    _require_workforce_admin(actor)
    if end < assignment.start:
        raise ValidationFailed("Assignment not ended", [FieldError("end", "must not be before the start")])
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        assignment.end = end
        assignment.save(update_fields=["end"])
        audit_record(actor=actor, action="assignment.end", obj=assignment, data={"end": end})
    return assignment
