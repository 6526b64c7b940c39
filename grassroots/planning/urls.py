from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.index, name="index"),
    path("rules/", views.rule_sets, name="rule-sets"),
    path("rules/new/", views.rule_set_edit, name="rule-set-new"),
    path("rules/<int:pk>/", views.rule_set_edit, name="rule-set"),
    path("rules/<int:pk>/run/", views.plan_start, name="plan-start"),
    path("plans/<int:pk>/", views.plan_run, name="plan-run"),
    path("plans/<int:pk>/status/", views.plan_run_status, name="plan-status"),
    path("plans/<int:pk>/cancel/", views.plan_run_cancel, name="plan-cancel"),
    path("plans/<int:pk>/approve/", views.plan_run_approve, name="plan-approve"),
    path("plans/<int:pk>/officers/", views.plan_run_officers, name="plan-officers"),
    path("plans/<int:pk>/posts/", views.plan_run_posts, name="plan-posts"),
    path("plans/<int:pk>/plan.xlsx", views.plan_run_export, name="plan-export"),
    path("rosters/", views.rosters, name="rosters"),
    path("rosters/<int:pk>/", views.roster_detail, name="roster"),
    path("rosters/<int:pk>/run/", views.roster_start, name="roster-start"),
    path("roster-runs/<int:pk>/", views.roster_run, name="roster-run"),
    path("roster-runs/<int:pk>/status/", views.roster_run_status, name="roster-status"),
    path("roster-runs/<int:pk>/cancel/", views.roster_run_cancel, name="roster-cancel"),
    path("roster-runs/<int:pk>/roster.xlsx", views.roster_run_xlsx, name="roster-xlsx"),
    path("roster-runs/<int:pk>/roster.ics", views.roster_run_ics, name="roster-ics"),
    path("my-duties/", views.my_duties, name="my-duties"),
    path("my-duties/<int:pk>.ics", views.my_duties_ics, name="my-duties-ics"),
]
