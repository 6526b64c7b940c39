from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("print/", views.dashboard_print, name="print"),
    path("coverage/", views.coverage_tile, name="coverage-tile"),
    path("export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("export.pdf", views.export_pdf, name="export-pdf"),
    path("requests/", views.drill, name="drill"),
    path("warnings/", views.warning_list, name="warnings"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning"),
    path("warnings/<int:pk>/<str:step>/", views.warning_step, name="warning-step"),
    path("hotspots/", views.hotspots, name="hotspots"),
    path("digest/", views.digest, name="digest"),
    path("digest/<int:pk>/", views.digest_stored, name="digest-stored"),
]
