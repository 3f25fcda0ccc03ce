from django.urls import path

from . import handover_views, views

from .selectors import QUEUES

ops_patterns = [
    *[path(f"queues/{name}/", views.queue_view, {"queue": name}, name=f"queue_{name}") for name in QUEUES],
    path("members/<int:member_pk>/apply/", views.application_create, name="application_create"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/act/<str:action>/", views.application_act, name="application_act"),
    path("applications/<int:pk>/supplement/", views.application_supplement, name="application_supplement"),
    path("applications/<int:pk>/arbitrate/", views.application_arbitrate, name="application_arbitrate"),
    path("applications/<int:pk>/product/", views.application_product, name="application_product"),
    path("applications/<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("applications/<int:pk>/documents/<int:doc_pk>/", views.document_download, name="document_download"),
    path("handovers/", handover_views.handover_list, name="handover_list"),
    path("handovers/new/", handover_views.handover_new, name="handover_new"),
    path("handovers/<int:pk>/decide/", handover_views.handover_decide, name="handover_decide"),
]
