"""URLs of the benefit pages."""

from django.urls import path

from renkou.benefits import views, views_facts, views_payments, views_person

urlpatterns = [
    path("benefits/", views.cycle_list, name="benefits"),
    path("benefits/parameters/", views.parameters, name="benefits_parameters"),
    path("benefits/facts/", views_facts.facts_home, name="benefits_facts"),
    path("benefits/facts/new/<str:kind>/", views_facts.facts_home, name="benefits_facts_import"),
    path(
        "benefits/facts/template/<str:kind>.xlsx",
        views_facts.fact_template,
        name="benefits_fact_template",
    ),
    path(
        "benefits/facts/sample/<str:kind>.xlsx",
        views_facts.fact_sample,
        name="benefits_fact_sample",
    ),
    path("benefits/facts/upload/", views_facts.facts_upload, name="benefits_facts_upload"),
    path("benefits/facts/<int:pk>/", views_facts.fact_import_detail, name="benefits_fact_import"),
    path("benefits/area/<str:code>/", views.cycle_list, name="benefits_area"),
    path("benefits/area/<str:code>/compute/", views.compute_start, name="benefits_compute"),
    path("benefits/cycles/<int:pk>/", views.cycle_detail, name="benefits_cycle"),
    path("benefits/cycles/<int:pk>/decisions/", views.decision_list, name="benefits_decisions"),
    path("benefits/cycles/<int:pk>/notice/", views.cycle_notice, name="benefits_notice"),
    path(
        "benefits/cycles/<int:pk>/notice/<str:village>/",
        views.notice_page,
        name="benefits_notice_page",
    ),
    path(
        "benefits/cycles/<int:pk>/notice/<str:village>/objections/",
        views.notice_objection,
        name="benefits_notice_objection",
    ),
    path("benefits/cycles/<int:pk>/notice.xlsx", views.notice_xlsx, name="benefits_notice_xlsx"),
    path("benefits/cycles/<int:pk>/approve/", views.cycle_approve, name="benefits_approve"),
    path("benefits/cycles/<int:pk>/pay/", views_payments.batch_new, name="benefits_pay"),
    path(
        "benefits/batches/<int:pk>/file.<str:fmt>",
        views_payments.batch_download,
        name="benefits_batch_file",
    ),
    path(
        "benefits/batches/<int:pk>/result/",
        views_payments.batch_result,
        name="benefits_batch_result",
    ),
    path(
        "benefits/batches/<int:pk>/result-sample.xlsx",
        views_payments.batch_result_sample,
        name="benefits_batch_result_sample",
    ),
    path("benefits/persons/<int:pk>/", views_person.person_benefits, name="benefits_person"),
    path(
        "benefits/persons/<int:pk>/bank-account/",
        views_person.person_bank_account,
        name="benefits_person_account",
    ),
    path(
        "benefits/persons/<int:pk>/childcare-applications/<int:app>/end/",
        views_person.person_childcare_application_end,
        name="benefits_person_childcare_application_end",
    ),
    path(
        "benefits/persons/<int:pk>/childcare-application/",
        views_person.person_childcare_application,
        name="benefits_person_childcare_application",
    ),
    path(
        "benefits/persons/<int:pk>/disability/",
        views_person.person_disability,
        name="benefits_person_disability",
    ),
    path(
        "benefits/persons/<int:pk>/certificates/",
        views_person.person_certificate,
        name="benefits_person_certificate",
    ),
    path(
        "benefits/persons/<int:pk>/certificates/<int:cert>/revoke/",
        views_person.person_certificate_revoke,
        name="benefits_person_certificate_revoke",
    ),
    path(
        "benefits/persons/<int:pk>/adoptions/",
        views_person.person_adoption,
        name="benefits_person_adoption",
    ),
    path(
        "benefits/decisions/<int:pk>/objections/",
        views.objection_raise,
        name="benefits_objection",
    ),
    path(
        "benefits/objections/<int:pk>/resolve/",
        views.objection_resolve,
        name="benefits_resolve",
    ),
]
