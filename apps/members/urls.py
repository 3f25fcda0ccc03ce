from django.urls import path

from . import views

ops_patterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/decide/", views.member_decide, name="member_decide"),
    path("members/<int:pk>/photo/<str:side>/", views.member_photo, name="member_photo"),
]
