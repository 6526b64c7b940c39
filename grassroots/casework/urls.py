from django.urls import path

from . import views, views_import

app_name = "casework"
urlpatterns = [
    path("", views.my_requests, name="my-requests"),
    path("new/", views.intake, name="intake"),
    path("new/duplicates/", views.intake_duplicates, name="intake-duplicates"),
    path("new/residents/", views.intake_residents, name="intake-residents"),
    path("new/grids/", views.intake_grids, name="intake-grids"),
    path("new/expected/", views.intake_expected, name="intake-expected"),
    path("queue/", views.leader_queue, name="queue"),
    path("follow-ups/", views.follow_up_queue, name="follow-ups"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
    path("import/", views_import.import_start, name="import"),
    path("import/<int:pk>/", views_import.import_job, name="import-job"),
    path("import/<int:pk>/status/", views_import.import_job_status, name="import-status"),
    path("import/<int:pk>/confirm/", views_import.import_job_confirm, name="import-confirm"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/receipt/", views.receipt, name="receipt"),
    path("<int:pk>/act/", views.request_act, name="act"),
    path("<int:pk>/follow-up/", views.request_follow_up, name="follow-up"),
    path("<int:pk>/parties/", views.party_add, name="party-add"),
    path("<int:pk>/sessions/", views.session_record, name="session-record"),
    path("<int:pk>/agreement/", views.agreement_sign, name="agreement-sign"),
    path("<int:pk>/agreement/document/", views.agreement_document, name="agreement-document"),
    path("<int:pk>/agreement/confirmation/", views.agreement_confirm, name="agreement-confirm"),
    path("<int:pk>/divert/", views.litigation_divert, name="divert"),
]
