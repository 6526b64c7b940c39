"""Planning pages: rotation rule sets, plan runs (progress, review per officer and per post, moves with
their reasons, the checker's verdict, approval, export) and duty rosters (definition, runs, calendar,
exports); an officer's own duties.

The pages hold no rules: services decide who may write what, selectors what each actor sees. Rotation is
planned by the political/HR department and administrators, duty rosters also by the unit's leaders; for
anyone else these pages answer 404, like a missing page. An officer sees only their own duties."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from grassroots.common.errors import DomainError, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.scoping import Actor, actor_for, get_visible_or_404
from grassroots.workforce.models import Officer, Unit

from . import selectors, services
from .build import period_label
from .exports import XLSX_TYPE, plan_workbook_bytes, roster_ics_text, roster_xlsx_bytes
from .models import (
    CoverDays,
    DutyKind,
    JobStatus,
    PeriodKind,
    PlanResult,
    PlanRun,
    RosterRun,
)
from .presentation import PARAMETER_LABELS, family_label, reason_text
from .rotation import model as rotation

MOVES_PER_PAGE = 100
OFFICERS_PER_PAGE = 50


def may_plan_rotation(actor: Actor) -> bool:
    return actor.is_admin or actor.is_hr


def may_plan_rosters(actor: Actor) -> bool:
    return actor.is_admin or actor.is_hr or actor.role == Role.LEADER


def _rotation_planner(request: HttpRequest) -> Actor:
    actor = actor_for(request.user)
    if not may_plan_rotation(actor):
        raise Http404
    return actor


def _roster_planner(request: HttpRequest) -> Actor:
    actor = actor_for(request.user)
    if not may_plan_rosters(actor):
        raise Http404
    return actor


def _errors_to_form(form: forms.Form, exc: DomainError) -> None:
    fields = getattr(exc, "errors", None) or []
    placed = False
    for error in fields:
        name = error.field.split(".")[0] if error.field else None
        if name in form.fields:
            form.add_error(name, error.message)
            placed = True
        else:
            form.add_error(None, f"{error.field}: {error.message}" if error.field else error.message)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message) if hasattr(exc, "message") else str(exc))


def _flash_error(request: HttpRequest, exc: DomainError) -> None:
    details = "; ".join(
        f"{e.field}: {e.message}" if e.field else e.message for e in (getattr(exc, "errors", None) or [])
    )
    text = str(getattr(exc, "message", "") or exc)
    messages.error(request, f"{text} — {details}" if details else text)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if may_plan_rotation(actor) or may_plan_rosters(actor):
        return redirect("planning:rule-sets" if may_plan_rotation(actor) else "planning:rosters")
    if actor.officer is not None:
        return redirect("planning:my-duties")
    raise Http404


# -- rotation rule sets ------------------------------------------------------------------------------------


class RuleSetForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("planning", "Name"), max_length=120)
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit planned"), queryset=Unit.objects.none())
    period_kind = forms.ChoiceField(label=gettext_lazy("Period"), choices=PeriodKind.choices)
    pool_depth = forms.IntegerField(
        label=gettext_lazy("Rotate within units at depth"),
        required=False,
        min_value=0,
        help_text=gettext_lazy("Empty: anywhere in the unit planned; 0 = the top courts."),
    )
    history_periods = forms.IntegerField(
        label=gettext_lazy("Periods of history used"), min_value=1, max_value=60, initial=12
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, rules: list[Any] | None = None, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True).order_by("path")
        if editing:
            self.fields["unit"].disabled = True
        by_family = {r.family: r for r in (rules or [])}
        defaults = {f: (e, h, w) for f, e, h, w in services.DEFAULT_RULES}
        self.rule_rows: list[dict[str, Any]] = []
        for family in rotation.FAMILIES:
            rule = by_family.get(family)
            enabled, hard, weight = (
                (rule.enabled, rule.hard, rule.weight) if rule is not None else defaults[family]
            )
            prefix = f"rule_{family}"
            self.fields[f"{prefix}_enabled"] = forms.BooleanField(
                label=gettext_lazy("on"), required=False, initial=enabled
            )
            hard_field = forms.BooleanField(label=gettext_lazy("hard"), required=False, initial=hard)
            if family in rotation.SOFT_ONLY:
                hard_field.disabled = True
                hard_field.initial = False
            self.fields[f"{prefix}_hard"] = hard_field
            self.fields[f"{prefix}_weight"] = forms.IntegerField(
                label=gettext_lazy("weight"), min_value=0, max_value=services.MAX_WEIGHT, initial=weight
            )
            params = []
            for name, default in rotation.PARAMETERS[family].items():
                value = (rule.params or {}).get(name, default) if rule is not None else default
                key = f"{prefix}_p_{name}"
                self.fields[key] = forms.IntegerField(
                    label=PARAMETER_LABELS.get((family, name), name),
                    min_value=0,
                    max_value=services.MAX_WEIGHT,
                    initial=value,
                )
                params.append(key)
            self.rule_rows.append(
                {
                    "family": family,
                    "label": family_label(family),
                    "enabled": f"{prefix}_enabled",
                    "hard": f"{prefix}_hard",
                    "weight": f"{prefix}_weight",
                    "params": params,
                }
            )

    def rule_inputs(self) -> list[services.RuleInput]:
        data = self.cleaned_data
        rules = []
        for row in self.rule_rows:
            family = row["family"]
            params = {key.rsplit("_p_", 1)[1]: int(data[key]) for key in row["params"]}
            rules.append(
                services.RuleInput(
                    family,
                    enabled=bool(data[row["enabled"]]),
                    hard=bool(data[row["hard"]]) and family not in rotation.SOFT_ONLY,
                    weight=int(data[row["weight"]]),
                    params=params,
                )
            )
        return rules

    def bound_rule_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "label": row["label"],
                "family": row["family"],
                "enabled": self[row["enabled"]],
                "hard": self[row["hard"]],
                "weight": self[row["weight"]],
                "params": [self[key] for key in row["params"]],
            }
            for row in self.rule_rows
        ]


@login_required
def rule_sets(request: HttpRequest) -> HttpResponse:
    actor = _rotation_planner(request)
    rows = selectors.rule_set_list(actor=actor)
    runs = selectors.plan_run_list(actor=actor)[:10]
    return render(request, "planning/rule_sets.html", {"rows": rows, "runs": runs})


@login_required
def rule_set_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = _rotation_planner(request)
    rule_set = selectors.rule_set_get(actor=actor, pk=pk) if pk is not None else None
    rules = list(rule_set.rules.all()) if rule_set is not None else None
    initial = {}
    if rule_set is not None:
        initial = {
            "name": rule_set.name,
            "unit": rule_set.unit_id,
            "period_kind": rule_set.period_kind,
            "pool_depth": rule_set.pool_depth,
            "history_periods": rule_set.history_periods,
            "version": rule_set.version,
        }
    form = RuleSetForm(request.POST or None, initial=initial, rules=rules, editing=rule_set is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if rule_set is None:
                rule_set = services.rule_set_create(
                    actor=actor,
                    name=data["name"],
                    unit=data["unit"],
                    period_kind=data["period_kind"],
                    pool_depth=data["pool_depth"],
                    history_periods=data["history_periods"],
                    rules=form.rule_inputs(),
                )
                messages.success(request, _("Rule set created."))
            else:
                rule_set = services.rule_set_update(
                    actor=actor,
                    rule_set=rule_set,
                    expected_version=data["version"] or rule_set.version,
                    name=data["name"],
                    period_kind=data["period_kind"],
                    pool_depth=data["pool_depth"],
                    history_periods=data["history_periods"],
                    rules=form.rule_inputs(),
                )
                messages.success(request, _("Rule set saved."))
            return redirect("planning:rule-set", pk=rule_set.pk)
        except DomainError as exc:
            _errors_to_form(form, exc)
    runs = selectors.plan_run_list(actor=actor, rule_set_id=rule_set.pk)[:20] if rule_set else []
    start_form = PlanStartForm(initial={"start": _next_period_start(rule_set)}) if rule_set else None
    return render(
        request,
        "planning/rule_set_form.html",
        {"form": form, "rule_set": rule_set, "runs": runs, "start_form": start_form},
    )


# -- plan runs ---------------------------------------------------------------------------------------------


def _next_period_start(rule_set: Any) -> date:
    today = date.today()
    if rule_set is not None and rule_set.period_kind != PeriodKind.MONTH:
        month = ((today.month - 1) // 3 + 1) * 3 + 1
        return date(today.year + (month > 12), (month - 1) % 12 + 1, 1)
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)


class PlanStartForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("First period starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    periods = forms.IntegerField(label=gettext_lazy("Periods"), min_value=1, max_value=36, initial=8)
    time_limit = forms.IntegerField(
        label=gettext_lazy("Time limit (seconds)"), min_value=1, max_value=3600, initial=60
    )


@login_required
@require_POST
def plan_start(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _rotation_planner(request)
    rule_set = selectors.rule_set_get(actor=actor, pk=pk)
    form = PlanStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("planning:rule-set", pk=rule_set.pk)
    try:
        run = services.plan_run_create(actor=actor, rule_set=rule_set, **form.cleaned_data)
    except DomainError as exc:
        _flash_error(request, exc)
        return redirect("planning:rule-set", pk=rule_set.pk)
    return redirect("planning:plan-run", pk=run.pk)


def _plan_context(run: PlanRun) -> dict[str, Any]:
    labels = [period_label(run.start, run.period_kind, t) for t in range(run.periods)]
    report = run.report or {}
    violations = []
    for v in report.get("violations", [])[:200]:
        period = v.get("period")
        violations.append(
            {
                **v,
                "rule": family_label(v.get("family", "")),
                "period_label": labels[period]
                if isinstance(period, int) and 0 <= period < len(labels)
                else "",
            }
        )
    explanation = run.explanation or {}
    conflicts = [
        {"rule": family_label(item["family"]), "subject": item.get("subject", "")}
        for item in explanation.get("items", [])
    ]
    return {
        "run": run,
        "labels": labels,
        "active": run.is_active and not run.is_stale,
        "stale": run.is_stale,
        "report": report,
        "violations": violations,
        "by_family": [(family_label(f), n) for f, n in (report.get("by_family") or {}).items()],
        "explanation": explanation,
        "conflicts": conflicts,
        "may_approve": run.status == JobStatus.DONE
        and run.result in (PlanResult.OPTIMAL, PlanResult.FEASIBLE)
        and run.checker_ok
        and run.approved_at is None,
    }


@login_required
def plan_run(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _rotation_planner(request)
    run = selectors.plan_run_get(actor=actor, pk=pk)
    context = _plan_context(run)
    search = request.GET.get("q", "").strip()[:50]
    moves = selectors.planned_move_list(run=run, search=search or None)
    page = Paginator(moves, MOVES_PER_PAGE).get_page(request.GET.get("page"))
    context.update(
        search=search,
        page_obj=page,
        moves=[
            {
                "move": m,
                "period": context["labels"][m.period] if m.period < len(context["labels"]) else m.period,
                "reasons": [reason_text(r) for r in m.reasons],
            }
            for m in page.object_list
        ],
    )
    return render(request, "planning/plan_run.html", context)


@login_required
def plan_run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment polled by htmx while the plan is solved; when it has finished it asks for a reload."""
    actor = _rotation_planner(request)
    run = selectors.plan_run_get(actor=actor, pk=pk)
    context = _plan_context(run)
    response = render(request, "planning/_job_status.html", {**context, "job": run, "kind": "plan"})
    if not context["active"] and request.GET.get("was") == "active":
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def plan_run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _rotation_planner(request)
    run = selectors.plan_run_get(actor=actor, pk=pk)
    try:
        services.plan_run_cancel(actor=actor, run=run)
        messages.info(request, _("Cancel requested: the best plan found so far is kept."))
    except DomainError as exc:
        _flash_error(request, exc)
    return redirect("planning:plan-run", pk=run.pk)


@login_required
@require_POST
def plan_run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _rotation_planner(request)
    run = selectors.plan_run_get(actor=actor, pk=pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.plan_run_approve(actor=actor, run=run, expected_version=version)
        messages.success(request, _("Plan approved: the moves are written as planned assignments."))
    except DomainError as exc:
        if getattr(exc, "code", "") == "conflict":
            messages.error(request, _("This plan changed or was approved meanwhile; nothing was written."))
        else:
            _flash_error(request, exc)
    return redirect("planning:plan-run", pk=run.pk)


@login_required
def plan_run_officers(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _rotation_planner(request)
    run = selectors.plan_run_get(actor=actor, pk=pk)
    search = request.GET.get("q", "").strip()[:50]
    try:
        page_number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page_number = 1
    rows, total = selectors.plan_officer_rows(
        run=run, search=search or None, offset=(page_number - 1) * OFFICERS_PER_PAGE, limit=OFFICERS_PER_PAGE
    )
    for row in rows:
        before = row.current.pk if row.current else None
        row.cells = []  # type: ignore[attr-defined]
        for post in row.posts:
            row.cells.append((post, post is not None and before is not None and post.pk != before))  # type: ignore[attr-defined]
            before = post.pk if post is not None else None
    pages = max(1, (total + OFFICERS_PER_PAGE - 1) // OFFICERS_PER_PAGE)
    context = _plan_context(run)
    context.update(
        rows=rows,
        total=total,
        search=search,
        page_number=page_number,
        pages=pages,
        previous_page=page_number - 1 if page_number > 1 else None,
        next_page=page_number + 1 if page_number < pages else None,
    )
    return render(request, "planning/plan_officers.html", context)


@login_required
def plan_run_posts(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _rotation_planner(request)
    run = selectors.plan_run_get(actor=actor, pk=pk)
    context = _plan_context(run)
    rows = selectors.plan_post_rows(run=run)
    context["rows"] = [
        {"row": r, "cells": list(zip(r.staffed, r.arriving, r.leaving, r.problems, strict=False))}
        for r in rows
    ]
    return render(request, "planning/plan_posts.html", context)


@login_required
def plan_run_export(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _rotation_planner(request)
    run = selectors.plan_run_get(actor=actor, pk=pk)
    if run.status != JobStatus.DONE or not run.plan:
        raise Http404
    response = HttpResponse(plan_workbook_bytes(run), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="rotation-plan-{run.pk}.xlsx"'
    return response


# -- duty rosters ------------------------------------------------------------------------------------------


class RosterForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("planning", "Name"), max_length=120)
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.none())
    start_date = forms.DateField(
        label=gettext_lazy("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    days = forms.IntegerField(label=gettext_lazy("Days"), min_value=1, max_value=366, initial=28)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, actor: Actor, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        units = Unit.objects.filter(is_active=True).order_by("path")
        if not (actor.is_admin or actor.is_hr):
            from grassroots.common.scoping import paths_q

            units = units.filter(paths_q("path", actor.unit_paths))
        self.fields["unit"].queryset = units
        if editing:
            self.fields["unit"].disabled = True


class DutyForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=16)
    name = forms.CharField(label=pgettext_lazy("planning", "Name"), max_length=80)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DutyKind.choices)
    minutes = forms.IntegerField(label=gettext_lazy("Length (minutes)"), min_value=1, initial=480)
    starts_at = forms.TimeField(
        label=gettext_lazy("Starts at"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    forbidden_next = forms.CharField(
        label=gettext_lazy("May not be followed next day by (codes, comma-separated)"),
        required=False,
        max_length=200,
    )


class MemberForm(forms.Form):
    officer = forms.ModelChoiceField(label=gettext_lazy("Officer"), queryset=Officer.objects.none())
    max_total_minutes = forms.IntegerField(label=gettext_lazy("Most minutes in total"), min_value=0)
    min_total_minutes = forms.IntegerField(
        label=gettext_lazy("Least minutes in total"), min_value=0, initial=0
    )
    max_consecutive_shifts = forms.IntegerField(
        label=gettext_lazy("Most duties in a row"), min_value=1, initial=5
    )
    min_consecutive_shifts = forms.IntegerField(
        label=gettext_lazy("Least duties in a row"), min_value=1, initial=1
    )
    min_consecutive_days_off = forms.IntegerField(
        label=gettext_lazy("Least days off in a row"), min_value=1, initial=1
    )
    max_weekends = forms.IntegerField(label=gettext_lazy("Most weekends worked"), min_value=0, initial=4)
    max_shifts = forms.CharField(
        label=gettext_lazy("Most duties of a type (e.g. R=2, W=10)"), required=False, max_length=300
    )

    def __init__(self, *args: Any, roster: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if roster is not None:
            self.fields["officer"].queryset = (
                Officer.objects.filter(
                    is_active=True,
                    assignments__post__unit__path__startswith=roster.unit.path,
                )
                .distinct()
                .order_by("staff_number")
            )

    def clean_max_shifts(self) -> dict[str, int]:
        text = self.cleaned_data.get("max_shifts") or ""
        result: dict[str, int] = {}
        for part in text.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            code, _sep, most = part.partition("=")
            try:
                result[code.strip()] = int(most)
            except ValueError as exc:
                raise forms.ValidationError(_("Write each as CODE=number.")) from exc
        return result


class CoverForm(forms.Form):
    duty = forms.ChoiceField(label=gettext_lazy("Duty"))
    days = forms.ChoiceField(label=gettext_lazy("Days"), choices=CoverDays.choices)
    date = forms.DateField(
        label=gettext_lazy("Date (one date only)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    minimum = forms.IntegerField(
        label=gettext_lazy("Minimum (must hold)"), min_value=0, max_value=services.MAX_COVER, initial=1
    )
    preferred = forms.IntegerField(
        label=gettext_lazy("Preferred"), min_value=0, max_value=services.MAX_COVER, initial=1
    )
    under_weight = forms.IntegerField(
        label=gettext_lazy("Weight per person missing"),
        min_value=0,
        max_value=services.MAX_WEIGHT,
        initial=100,
    )
    over_weight = forms.IntegerField(
        label=gettext_lazy("Weight per person too many"),
        min_value=0,
        max_value=services.MAX_WEIGHT,
        initial=1,
    )

    def __init__(self, *args: Any, roster: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        duties = list(roster.duty_types.all()) if roster is not None else []
        self.fields["duty"].choices = [(d.pk, f"{d.code} {d.name}") for d in duties]


class RequestForm(forms.Form):
    member = forms.ChoiceField(label=gettext_lazy("Member"))
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    duty = forms.ChoiceField(label=gettext_lazy("Duty"))
    on = forms.ChoiceField(
        label=gettext_lazy("Wish"),
        choices=[("0", gettext_lazy("not this duty")), ("1", gettext_lazy("this duty"))],
    )
    weight = forms.IntegerField(label=gettext_lazy("Weight"), min_value=1, max_value=100, initial=1)

    def __init__(self, *args: Any, roster: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        members = list(roster.members.all()) if roster is not None else []
        self.fields["member"].choices = [
            (m.pk, f"{m.officer.staff_number} {m.officer.name}") for m in members
        ]
        duties = list(roster.duty_types.all()) if roster is not None else []
        self.fields["duty"].choices = [(d.pk, f"{d.code} {d.name}") for d in duties]


class DayOffForm(forms.Form):
    member = forms.ChoiceField(label=gettext_lazy("Member"))
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=120)

    def __init__(self, *args: Any, roster: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        members = list(roster.members.all()) if roster is not None else []
        self.fields["member"].choices = [
            (m.pk, f"{m.officer.staff_number} {m.officer.name}") for m in members
        ]


class RosterRunForm(forms.Form):
    time_limit = forms.IntegerField(
        label=gettext_lazy("Time limit (seconds)"), min_value=1, max_value=3600, initial=30
    )


@login_required
def rosters(request: HttpRequest) -> HttpResponse:
    actor = _roster_planner(request)
    form = RosterForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            roster = services.roster_create(
                actor=actor,
                name=data["name"],
                unit=data["unit"],
                start_date=data["start_date"],
                days=data["days"],
            )
            messages.success(request, _("Roster created. Add its duties, members and cover."))
            return redirect("planning:roster", pk=roster.pk)
        except DomainError as exc:
            _errors_to_form(form, exc)
    return render(
        request, "planning/rosters.html", {"rows": selectors.roster_list(actor=actor), "form": form}
    )


def _one(queryset: Any, pk: Any) -> Any:
    try:
        return queryset.get(pk=int(pk))
    except (ValueError, TypeError, queryset.model.DoesNotExist) as exc:
        raise Http404 from exc


def _roster_post(request: HttpRequest, actor: Actor, roster: Any) -> dict[str, forms.Form] | None:
    """Handle one of the roster page's forms (``action``); None when it succeeded (redirect)."""
    action = request.POST.get("action", "")
    bound: dict[str, forms.Form] = {}
    try:
        if action == "roster":
            form = RosterForm(request.POST, actor=actor, editing=True, initial={"unit": roster.unit_id})
            bound["roster_form"] = form
            if form.is_valid():
                d = form.cleaned_data
                services.roster_update(
                    actor=actor,
                    roster=roster,
                    expected_version=d["version"] or roster.version,
                    name=d["name"],
                    start_date=d["start_date"],
                    days=d["days"],
                )
                return None
        elif action == "duty":
            form = DutyForm(request.POST)
            bound["duty_form"] = form
            if form.is_valid():
                d = form.cleaned_data
                services.duty_type_save(
                    actor=actor,
                    roster=roster,
                    data=services.DutyInput(
                        code=d["code"].strip(),
                        name=d["name"].strip(),
                        minutes=d["minutes"],
                        kind=d["kind"],
                        starts_at=d["starts_at"],
                        forbidden_next=[c.strip() for c in d["forbidden_next"].split(",") if c.strip()],
                    ),
                )
                return None
        elif action == "member":
            form = MemberForm(request.POST, roster=roster)
            bound["member_form"] = form
            if form.is_valid():
                d = dict(form.cleaned_data)
                officer = d.pop("officer")
                services.member_save(
                    actor=actor, roster=roster, officer=officer, data=services.MemberInput(**d)
                )
                return None
        elif action == "cover":
            form = CoverForm(request.POST, roster=roster)
            bound["cover_form"] = form
            if form.is_valid():
                d = form.cleaned_data
                services.cover_save(
                    actor=actor,
                    roster=roster,
                    duty=_one(roster.duty_types, d["duty"]),
                    days=d["days"],
                    minimum=d["minimum"],
                    preferred=d["preferred"],
                    under_weight=d["under_weight"],
                    over_weight=d["over_weight"],
                    on_date=d["date"],
                )
                return None
        elif action == "request":
            form = RequestForm(request.POST, roster=roster)
            bound["request_form"] = form
            if form.is_valid():
                d = form.cleaned_data
                services.request_save(
                    actor=actor,
                    member=_one(roster.members, d["member"]),
                    on_date=d["date"],
                    duty=_one(roster.duty_types, d["duty"]),
                    on=d["on"] == "1",
                    weight=d["weight"],
                )
                return None
        elif action == "day_off":
            form = DayOffForm(request.POST, roster=roster)
            bound["day_off_form"] = form
            if form.is_valid():
                d = form.cleaned_data
                services.day_off_save(
                    actor=actor,
                    member=_one(roster.members, d["member"]),
                    on_date=d["date"],
                    reason=d["reason"],
                )
                return None
        elif action.startswith("delete-"):
            what, pk = action[len("delete-") :], request.POST.get("id")
            if what == "duty":
                services.duty_type_delete(actor=actor, duty=_one(roster.duty_types, pk))
            elif what == "member":
                services.member_delete(actor=actor, member=_one(roster.members, pk))
            elif what == "cover":
                services.cover_delete(actor=actor, cover=_one(roster.covers, pk))
            elif what == "request":
                from .models import RosterRequest

                services.request_delete(
                    actor=actor, request=_one(RosterRequest.objects.filter(member__definition=roster), pk)
                )
            elif what == "day_off":
                from .models import RosterDayOff

                services.day_off_delete(
                    actor=actor, day_off=_one(RosterDayOff.objects.filter(member__definition=roster), pk)
                )
            else:
                raise Http404
            return None
        else:
            raise Http404
    except ValidationFailed as exc:
        form = next(iter(bound.values()), None)
        if form is not None:
            _errors_to_form(form, exc)
        else:
            _flash_error(request, exc)
    except DomainError as exc:
        _flash_error(request, exc)
        if not bound:
            return None
    return bound


@login_required
def roster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _roster_planner(request)
    roster = selectors.roster_get(actor=actor, pk=pk)
    bound: dict[str, forms.Form] = {}
    if request.method == "POST":
        result = _roster_post(request, actor, roster)
        if result is None:
            messages.success(request, _("Saved."))
            return redirect("planning:roster", pk=roster.pk)
        bound = result
        roster = selectors.roster_get(actor=actor, pk=pk)
    context = {
        "roster": roster,
        "roster_form": bound.get("roster_form")
        or RosterForm(
            actor=actor,
            editing=True,
            initial={
                "name": roster.name,
                "unit": roster.unit_id,
                "start_date": roster.start_date,
                "days": roster.days,
                "version": roster.version,
            },
        ),
        "duty_form": bound.get("duty_form") or DutyForm(),
        "member_form": bound.get("member_form") or MemberForm(roster=roster),
        "cover_form": bound.get("cover_form") or CoverForm(roster=roster),
        "request_form": bound.get("request_form") or RequestForm(roster=roster),
        "day_off_form": bound.get("day_off_form") or DayOffForm(roster=roster),
        "run_form": RosterRunForm(),
        "runs": selectors.roster_run_list(actor=actor, roster_id=roster.pk)[:20],
    }
    return render(request, "planning/roster.html", context)


@login_required
@require_POST
def roster_start(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _roster_planner(request)
    roster = selectors.roster_get(actor=actor, pk=pk)
    form = RosterRunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The time limit must be between 1 and 3600 seconds."))
        return redirect("planning:roster", pk=roster.pk)
    try:
        run = services.roster_run_create(
            actor=actor, roster=roster, time_limit=form.cleaned_data["time_limit"]
        )
    except DomainError as exc:
        _flash_error(request, exc)
        return redirect("planning:roster", pk=roster.pk)
    return redirect("planning:roster-run", pk=run.pk)


def _month_param(request: HttpRequest, run: RosterRun) -> date:
    text = request.GET.get("month", "")
    try:
        year, month = (int(x) for x in text.split("-")[:2])
        return date(year, month, 1)
    except (ValueError, TypeError):
        return run.definition.start_date.replace(day=1)


def _roster_context(run: RosterRun) -> dict[str, Any]:
    return {
        "run": run,
        "job": run,
        "kind": "roster",
        "active": run.is_active and not run.is_stale,
        "stale": run.is_stale,
        "report": run.report or {},
    }


@login_required
def roster_run(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _roster_planner(request)
    run = selectors.roster_run_get(actor=actor, pk=pk)
    month = _month_param(request, run)
    definition = run.definition
    first_month = definition.start_date.replace(day=1)
    last_month = definition.end_date.replace(day=1)
    month = min(max(month, first_month), last_month)
    weeks, month = selectors.roster_calendar(run=run, month=month)
    previous = (month.replace(day=1) - date.resolution).replace(day=1) if month > first_month else None
    following = None
    if month < last_month:
        following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    context = _roster_context(run)
    context.update(weeks=weeks, month=month, previous_month=previous, next_month=following)
    return render(request, "planning/roster_run.html", context)


@login_required
def roster_run_status(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _roster_planner(request)
    run = selectors.roster_run_get(actor=actor, pk=pk)
    context = _roster_context(run)
    response = render(request, "planning/_job_status.html", context)
    if not context["active"] and request.GET.get("was") == "active":
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def roster_run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _roster_planner(request)
    run = selectors.roster_run_get(actor=actor, pk=pk)
    try:
        services.roster_run_cancel(actor=actor, run=run)
        messages.info(request, _("Cancel requested: the best roster found so far is kept."))
    except DomainError as exc:
        _flash_error(request, exc)
    return redirect("planning:roster-run", pk=run.pk)


def _finished(run: RosterRun) -> None:
    if run.status not in (JobStatus.DONE, JobStatus.CANCELLED) or not run.problem_text:
        raise Http404


@login_required
def roster_run_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _roster_planner(request)
    run = selectors.roster_run_get(actor=actor, pk=pk)
    _finished(run)
    response = HttpResponse(roster_xlsx_bytes(run), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="duty-roster-{run.pk}.xlsx"'
    return response


def _ics_response(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def roster_run_ics(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _roster_planner(request)
    run = selectors.roster_run_get(actor=actor, pk=pk)
    _finished(run)
    return _ics_response(
        roster_ics_text(run, domain=request.get_host().split(":")[0]), f"duty-roster-{run.pk}.ics"
    )


# -- an officer's own duties -------------------------------------------------------------------------------


@login_required
def my_duties(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if actor.officer is None:
        raise Http404
    runs = selectors.own_roster_runs(actor=actor)
    duties = selectors.own_duties(actor=actor)
    return render(request, "planning/my_duties.html", {"runs": runs, "duties": duties})


@login_required
def my_duties_ics(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_for(request.user)
    if actor.officer is None:
        raise Http404
    run = get_visible_or_404(
        RosterRun.objects.filter(status=JobStatus.DONE, assignments__officer=actor.officer).distinct(), pk=pk
    )
    text = roster_ics_text(
        run, staff_number=actor.officer.staff_number, domain=request.get_host().split(":")[0]
    )
    return _ics_response(text, f"my-duties-{run.pk}.ics")
