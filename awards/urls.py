from django.urls import include, path

from . import views, views_judging, views_nominations, views_public, views_results, views_sharing

app_name = "awards"

recognition_patterns = [
    path("<int:result_pk>/start/", views_results.recognition_start, name="start"),
    path("jobs/<int:job_pk>/", views_results.recognition_job, name="job"),
    path("jobs/<int:job_pk>/download/", views_results.recognition_download, name="download"),
]

urlpatterns = [
    # The landing page; cycles, their judging criteria and categories, shortlists.
    path("", views.index, name="index"),
    path("cycles/", views.cycle_list, name="cycles"),
    path("cycles/new/", views.cycle_create, name="cycle_create"),
    path("cycles/<int:cycle_pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:cycle_pk>/edit/", views.cycle_edit, name="cycle_edit"),
    path(
        "cycles/<int:cycle_pk>/criteria/new/",
        views.judging_criterion_add,
        name="judging_criterion_add",
    ),
    path(
        "cycles/<int:cycle_pk>/criteria/<int:judging_criterion_pk>/",
        views.judging_criterion_edit,
        name="judging_criterion_edit",
    ),
    path(
        "cycles/<int:cycle_pk>/criteria/<int:judging_criterion_pk>/delete/",
        views.judging_criterion_delete,
        name="judging_criterion_delete",
    ),
    path("cycles/<int:cycle_pk>/categories/new/", views.category_add, name="category_add"),
    path(
        "cycles/<int:cycle_pk>/categories/usual/",
        views.categories_usual,
        name="categories_usual",
    ),
    path("categories/<int:category_pk>/", views.category_detail, name="category"),
    path("categories/<int:category_pk>/delete/", views.category_delete, name="category_delete"),
    path(
        "categories/<int:category_pk>/shortlist/",
        views.shortlist_compute,
        name="shortlist_compute",
    ),
    path("categories/<int:category_pk>/put-forward/", views.put_forward, name="put_forward"),
    # Nominations, the nominee's consent, judging, results and recognition.
    path("nominations/", views_nominations.nomination_list, name="nominations"),
    path("nominations/new/", views_nominations.nomination_new, name="nomination_new"),
    path("nominations/<int:entry_pk>/", views_nominations.nomination_detail, name="nomination"),
    path(
        "nominations/<int:entry_pk>/withdraw/",
        views_nominations.nomination_withdraw,
        name="nomination_withdraw",
    ),
    path("consent/<str:token>/", views_nominations.consent, name="consent"),
    path("judging/", views_judging.judging_home, name="judging"),
    path("judging/panels/<int:panel_pk>/", views_judging.judging_panel, name="judging_panel"),
    path("judging/entries/<int:entry_pk>/", views_judging.judging_entry, name="judging_entry"),
    path(
        "judging/entries/<int:entry_pk>/score/", views_judging.judging_score, name="judging_score"
    ),
    path(
        "judging/entries/<int:entry_pk>/conflict/",
        views_judging.judging_conflict,
        name="judging_conflict",
    ),
    path("panels/", views_judging.panel_list, name="panels"),
    path("panels/<int:panel_pk>/", views_judging.panel_detail, name="panel"),
    path(
        "panels/<int:panel_pk>/categories/",
        views_judging.panel_categories,
        name="panel_categories",
    ),
    path("panels/<int:panel_pk>/judges/", views_judging.panel_judge_add, name="panel_judge_add"),
    path(
        "panels/<int:panel_pk>/judges/<int:seat_pk>/chair/",
        views_judging.panel_chair,
        name="panel_chair",
    ),
    path(
        "panels/<int:panel_pk>/judges/<int:seat_pk>/remove/",
        views_judging.panel_judge_remove,
        name="panel_judge_remove",
    ),
    path("panels/<int:panel_pk>/moderation/", views_judging.moderation, name="moderation"),
    path(
        "panels/<int:panel_pk>/entries/<int:entry_pk>/result/",
        views_judging.result_record,
        name="result_record",
    ),
    path("<int:year>/results/", views_results.cycle_results, name="results"),
    path("<int:year>/results/publish/", views_results.cycle_publish, name="publish"),
    path("<int:year>/winners/", views_results.winners, name="winners"),
    path("recognition/", views_results.recognition_list, name="recognition_list"),
    path("recognition/", include((recognition_patterns, "recognition"))),
    # Sharing practice: the case-study library, beacons and events (public pages first).
    path("case-studies/", views_public.library, name="case_studies"),
    path("case-studies/<int:case_study_pk>/", views_public.case_study, name="case_study"),
    path("beacons/", views_public.beacon_list, name="beacons"),
    path("beacons/<int:organisation_pk>/", views_public.beacon, name="beacon"),
    path("events/", views_public.event_list, name="events"),
    path("events/<int:event_pk>/", views_public.event, name="event"),
    path(
        "events/<int:event_pk>/registered/",
        views_public.event_registered,
        name="event_registered",
    ),
    path(
        "events/cancel/<str:token>/",
        views_public.registration_cancel,
        name="registration_cancel",
    ),
    path("case-studies/ours/", views_sharing.own_case_studies, name="own_case_studies"),
    path("case-studies/ours/new/", views_sharing.case_study_create, name="case_study_create"),
    path(
        "case-studies/ours/<int:case_study_pk>/",
        views_sharing.case_study_draft,
        name="case_study_draft",
    ),
    path(
        "case-studies/ours/<int:case_study_pk>/edit/",
        views_sharing.case_study_edit,
        name="case_study_edit",
    ),
    path(
        "case-studies/ours/<int:case_study_pk>/submit/",
        views_sharing.case_study_submit,
        name="case_study_submit",
    ),
    path("case-studies/review/", views_sharing.case_study_reviews, name="case_study_reviews"),
    path(
        "case-studies/review/<int:case_study_pk>/",
        views_sharing.case_study_review,
        name="case_study_review",
    ),
    path("beacons/manage/", views_sharing.beacon_admin, name="beacon_admin"),
    path("beacons/manage/new/", views_sharing.beacon_designate, name="beacon_designate"),
    path("beacons/manage/<int:beacon_pk>/end/", views_sharing.beacon_end, name="beacon_end"),
    path("events/manage/", views_sharing.event_admin, name="event_admin"),
    path("events/manage/new/", views_sharing.event_create, name="event_create"),
    path("events/manage/<int:event_pk>/", views_sharing.event_manage, name="event_manage"),
    path("events/manage/<int:event_pk>/edit/", views_sharing.event_edit, name="event_edit"),
    path(
        "events/manage/<int:event_pk>/registrations.csv",
        views_sharing.event_registrations_csv,
        name="event_registrations_csv",
    ),
]
