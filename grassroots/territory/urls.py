from django.urls import path

from . import views

app_name = "territory"
urlpatterns = [
    path("import/", views.import_start, name="import"),
    path("import/<int:pk>/", views.import_job, name="import-job"),
    path("import/<int:pk>/status/", views.import_job_status, name="import-status"),
    path("import/<int:pk>/confirm/", views.import_job_confirm, name="import-confirm"),
    path("import/<int:pk>/check/", views.import_job_check, name="import-check"),
    path("export/", views.export_register, name="export"),
]
