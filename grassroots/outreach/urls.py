from django.urls import path

from . import views, views_import, views_manage

app_name = "outreach"
urlpatterns = [
    path("", views.officer_day, name="day"),
    path("visits/", views.visits, name="visits"),
    path("visits/new/", views.visit_new, name="visit-new"),
    path("visits/bulk/", views.visits_bulk, name="visits-bulk"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/export/", views_import.coverage_export, name="coverage-export"),
    path("attention/", views.attention, name="attention"),
    path("photos/<str:token>/", views.photo, name="photo"),
    path("liaisons/", views_manage.liaisons, name="liaisons"),
    path("liaisons/<int:pk>/end/", views_manage.liaison_end_view, name="liaison-end"),
    path("liaisons/handover/", views_manage.liaison_handover_view, name="liaison-handover"),
    path("liaisons/import/", views_import.roster_import, name="roster-import"),
    path("liaisons/import/<int:pk>/", views_import.roster_job, name="roster-job"),
    path("liaisons/import/<int:pk>/status/", views_import.roster_job_status, name="roster-status"),
    path("liaisons/import/<int:pk>/confirm/", views_import.roster_job_confirm, name="roster-confirm"),
    path("cards/<int:pk>/", views_manage.officer_card, name="card"),
    path("boards/<int:pk>/", views_manage.notice_board, name="board"),
    path("board/", views_manage.board_edit, name="board-edit"),
    path("events/", views_manage.events, name="events"),
    path("events/new/", views_manage.event_new, name="event-new"),
    path("events/report/", views_manage.event_report, name="event-report"),
    path("events/<int:pk>/", views_manage.event_detail, name="event"),
    path("rules/", views_manage.rules, name="rules"),
    path("rules/new/", views_manage.rule_edit, name="rule-new"),
    path("rules/<int:pk>/", views_manage.rule_edit, name="rule-edit"),
]
