from django.urls import path

from . import views

platform_patterns = [
    path("parameters/", views.param_list, name="param_list"),
    path("parameters/<str:key>/", views.param_edit, name="param_edit"),
    path("broadcast/", views.broadcast, name="broadcast"),
    path("identity-duplicates/", views.identity_duplicates, name="identity_duplicates"),
    path("menus/", views.menu_list, name="menu_list"),
    path("menus/new/", views.menu_edit, name="menu_create"),
    path("menus/<int:pk>/edit/", views.menu_edit, name="menu_edit"),
    path("menus/<int:pk>/delete/", views.menu_delete, name="menu_delete"),
]
