from django.urls import path

from . import views

inst_patterns = [
    path("dispatch/offers/", views.offer_list, name="offer_list"),
    path("dispatch/offers/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("dispatch/offers/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("dispatch/offers/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
    path("dispatch/profile/", views.dispatch_profile, name="dispatch_profile"),
    path("dispatch/profile/edit/", views.dispatch_profile_edit, name="dispatch_profile_edit"),
    path("dispatch/profile/category-request/", views.category_request_new, name="category_request_new"),
]

ops_patterns = [
    path("dispatch/monitor/", views.dispatch_monitor, name="dispatch_monitor"),
    path("dispatch/redispatch/", views.redispatch_queue, name="redispatch_queue"),
    path("dispatch/choices/", views.choice_queue, name="choice_queue"),
    path("dispatch/<int:app_pk>/", views.dispatch_record, name="dispatch_record"),
    path("dispatch/<int:app_pk>/add/", views.dispatch_candidate_add, name="dispatch_candidate_add"),
    path("dispatch/<int:app_pk>/extend/", views.dispatch_window_extend, name="dispatch_window_extend"),
    path("dispatch/<int:app_pk>/close-round/", views.dispatch_round_close, name="dispatch_round_close"),
    path("dispatch/<int:app_pk>/redispatch/", views.redispatch, name="redispatch"),
    path("dispatch/<int:app_pk>/choice/", views.dispatch_choice, name="dispatch_choice"),
]

platform_patterns = [
    path("dispatch/profiles/", views.profile_list, name="profile_list"),
    path("dispatch/profiles/<int:pk>/", views.profile_edit, name="profile_edit"),
    path("dispatch/category-requests/", views.category_requests, name="category_requests"),
    path("dispatch/category-requests/<int:pk>/decide/", views.category_request_decide,
         name="category_request_decide"),
    path("dispatch/clusters/", views.cluster_list, name="cluster_list"),
    path("dispatch/clusters/new/", views.cluster_create, name="cluster_create"),
    path("dispatch/clusters/<int:pk>/edit/", views.cluster_edit, name="cluster_edit"),
    path("dispatch/clusters/<int:pk>/delete/", views.cluster_delete, name="cluster_delete"),
]
