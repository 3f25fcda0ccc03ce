from django.urls import path

from . import views

platform_patterns = [
    path("parameters/", views.param_list, name="param_list"),
    path("parameters/<str:key>/", views.param_edit, name="param_edit"),
    path("broadcast/", views.broadcast, name="broadcast"),
]
