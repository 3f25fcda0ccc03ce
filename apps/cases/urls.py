from django.urls import path

from . import views

inst_patterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/allocate/", views.case_allocate, name="case_allocate"),
    path("cases/<int:pk>/review/", views.case_review, name="case_review"),
    path("cases/<int:pk>/signing/book/", views.case_book_signing, name="case_book_signing"),
    path("cases/<int:pk>/signing/record/", views.case_record_signing, name="case_record_signing"),
    path("cases/<int:pk>/disburse/", views.case_disburse, name="case_disburse"),
    path("cases/<int:pk>/cannot-lend/", views.case_cannot_lend, name="case_cannot_lend"),
    path("cases/<int:pk>/documents/<int:doc_pk>/", views.case_document, name="case_document"),
    path("cases/<int:pk>/id-photo/<str:side>/", views.case_id_photo, name="case_id_photo"),
]
