from django.urls import path

from . import views, views_manage

app_name = "evaluation"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/status/", views.run_status, name="run-status"),
    path("runs/<int:pk>/export.xlsx", views.run_export, name="run-export"),
    path("runs/<int:pk>/shortlist/", views.shortlist, name="shortlist"),
    path("runs/<int:pk>/units/", views.unit_list, name="units"),
    path("runs/<int:pk>/<str:action>/", views.run_action, name="run-action"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("results/<int:pk>/", views.result_detail, name="result"),
    path("results/<int:pk>/print/", views.result_print, name="result-print"),
    path("results/<int:pk>/appeal/", views.result_appeal, name="result-appeal"),
    path("results/<int:pk>/adjust/", views.result_adjust, name="result-adjust"),
    path("results/<int:pk>/<str:code>/<str:part>/", views.result_drill, name="result-drill"),
    path("schemes/", views_manage.scheme_list, name="schemes"),
    path("schemes/versions/<int:pk>/", views_manage.scheme_version, name="scheme-version"),
    path("reviews/", views_manage.reviews, name="reviews"),
    path("adjustments/<int:pk>/decide/", views_manage.adjustment_decide, name="adjustment-decide"),
    path("appeals/<int:pk>/decide/", views_manage.appeal_decide, name="appeal-decide"),
    path("mentoring/", views_manage.mentoring_list, name="mentoring"),
    path("mentoring/<int:pk>/", views_manage.mentorship_detail, name="mentorship"),
    path("honours/", views_manage.honour_list, name="honours"),
    path("honours/<int:pk>/", views_manage.honour_detail, name="honour"),
    path("nominations/", views_manage.nomination_list, name="nominations"),
    path("nominations/<int:pk>/decide/", views_manage.nomination_decide, name="nomination-decide"),
]
