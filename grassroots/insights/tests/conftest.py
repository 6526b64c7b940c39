import pytest

from grassroots.casework.follow_up import follow_up_record
from grassroots.casework.models import Category
from grassroots.casework.services import IntakeInput, request_intake, request_transition
from grassroots.casework.workflow import Action


@pytest.fixture
def categories(db):
    def make(code, name, parent=None):
        return Category.objects.create(
            code=code, name=name, parent=parent, path=f"{parent.path if parent else ''}{code}/"
        )

    roads = make("R", "城乡建设")
    return {"roads": roads, "lights": make("R1", "路灯", roads), "labour": make("L", "劳动保障")}


def intake(world, actor=None, **overrides):
    values = {
        "channel": "window",
        "kind": "help",
        "title": "路灯不亮",
        "description": "村口路灯坏了一个月",
        "region": world.village_a1,
        "reporter_resident": world.resident_a1,
    }
    values.update(overrides)
    return request_intake(actor=actor or world.user_officer_a1, data=IntakeInput(**values))[0]


def resolve(world, request, satisfied=True):
    officer, leader = world.user_officer_a1, world.user_leader_a
    request = request_transition(actor=officer, request=request, action=Action.ACCEPT)
    request = request_transition(
        actor=leader,
        request=request,
        action=Action.ASSIGN,
        data={"lead_unit": world.tribunal_a1, "assist_units": [], "assignee": world.officer_a1},
    )
    request = request_transition(actor=officer, request=request, action=Action.START)
    request = request_transition(
        actor=officer, request=request, action=Action.RESOLVE, data={"outcome": "fulfilled"}
    )
    if satisfied is not None:
        follow_up_record(
            actor=world.user_leader_a,
            request=request,
            reached=True,
            satisfaction="satisfied" if satisfied else "dissatisfied",
            comment="" if satisfied else "没修好",
        )
    request.refresh_from_db()
    return request
