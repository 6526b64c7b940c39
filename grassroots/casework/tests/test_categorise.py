import pytest

from grassroots.casework.categorise import request_categorise
from grassroots.casework.models import Request, RequestEvent
from grassroots.common.errors import Conflict, Forbidden, ValidationFailed
from grassroots.common.models import AuditEntry
from grassroots.routing.models import Outcome, RoutingDecision
from grassroots.routing.services import suggestion_make
from grassroots.routing.testing import make_categories, register, register_history, train_from_casework

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(world, settings, tmp_path):
    settings.ROUTING_VERSION_CHECK_SECONDS = 0
    categories = make_categories(world)
    register_history(world, categories)
    train_from_casework(tmp_path / "m.joblib")
    return categories


def test_confirm_and_override_are_recorded_against_the_suggestion(world, routed, api):
    item = register(world, "物业不修电梯", "小区电梯坏了物业不管")
    suggestion = suggestion_make(request=item, task="category")
    assert suggestion.items[0]["category"] == routed["0101"].pk
    request_categorise(
        actor=world.user_officer_a1, request=item, category=routed["0101"], version=item.version
    )
    confirmed = RoutingDecision.objects.get(request=item)
    assert confirmed.outcome == Outcome.CONFIRMED and confirmed.chosen_rank == 1
    assert confirmed.suggestion == suggestion and confirmed.actor == world.user_officer_a1
    assert confirmed.screen == "detail" and confirmed.suggested_label == "0101"

    item.refresh_from_db()
    response = api(world.user_leader_a).post(
        f"/api/requests/{item.pk}/categorise/", {"category": "03", "version": item.version}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["category"] == "03"
    overridden = RoutingDecision.objects.filter(request=item).order_by("-id").first()
    assert overridden.outcome == Outcome.OVERRIDDEN and overridden.chosen_label == "03"
    assert overridden.suggested_label == "0101" and overridden.screen == "api"
    assert overridden.chosen_rank in (2, 3, None) and overridden.actor == world.user_leader_a


def test_stale_version_is_a_conflict_and_changes_nothing(world, routed, api):
    item = register(world, "欠薪", "老板拖欠工资")
    request_categorise(actor=world.user_officer_a1, request=item, category=routed["0201"], version=1)
    with pytest.raises(Conflict):
        request_categorise(actor=world.user_officer_a1, request=item, category=routed["03"], version=1)
    item.refresh_from_db()
    assert item.category == routed["0201"] and item.version == 2
    response = api(world.user_officer_a1).post(
        f"/api/requests/{item.pk}/categorise/", {"category": "03", "version": 1}, format="json"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_out_of_scope_is_404_and_other_roles_are_refused(world, routed, api):
    item = register(world, "欠薪", "老板拖欠工资")
    response = api(world.user_officer_b).post(
        f"/api/requests/{item.pk}/categorise/", {"category": "03", "version": 1}, format="json"
    )
    assert response.status_code == 404
    assert (
        api(world.user_hr)
        .post(f"/api/requests/{item.pk}/categorise/", {"category": "03", "version": 1}, format="json")
        .status_code
        == 404
    )
    resident_request = register(world, "噪音", "楼下很吵", reporter_resident=world.resident_a1)
    with pytest.raises(Forbidden):
        request_categorise(
            actor=world.resident_user, request=resident_request, category=routed["03"], version=1
        )
    assert (
        api()
        .post(f"/api/requests/{item.pk}/categorise/", {"category": "03", "version": 1}, format="json")
        .status_code
        == 401
    )
    assert Request.objects.get(pk=item.pk).category is None


def test_categorise_writes_event_and_audit_and_validates(world, routed, api):
    item = register(world, "纠纷", "两户院墙争执", kind="dispute")
    updated = request_categorise(
        actor=world.user_officer_a1,
        request=item,
        category=routed["01"],
        dispute_type="邻里纠纷",
        version=1,
    )
    assert updated.dispute_type == "neighbour" and updated.version == 2
    event = RequestEvent.objects.filter(request=item, action="categorise").get()
    assert event.data["category_after"] == "01" and event.data["dispute_type_after"] == "neighbour"
    entry = AuditEntry.objects.filter(action="request.categorise", object_id=str(item.pk)).get()
    assert entry.data["category_after"] == "01" and entry.actor_id == world.user_officer_a1.pk
    with pytest.raises(ValidationFailed) as failed:
        request_categorise(
            actor=world.user_officer_a1, request=item, category=None, dispute_type="不存在", version=2
        )
    assert failed.value.errors[0].field == "dispute_type"
    routed["03"].is_active = False
    routed["03"].save()
    response = api(world.user_officer_a1).post(
        f"/api/requests/{item.pk}/categorise/", {"category": "03", "version": 2}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["field"] == "category"
    response = api(world.user_officer_a1).post(
        f"/api/requests/{item.pk}/categorise/", {"category": "nope", "version": 2}, format="json"
    )
    assert response.status_code == 400
    assert Request.objects.get(pk=item.pk).version == 2
