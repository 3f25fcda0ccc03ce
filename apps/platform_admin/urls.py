from django.urls import path

from . import views, views_codes, views_regions

platform_patterns = [
    path("parameters/", views.param_list, name="param_list"),
    path("parameters/<str:key>/", views.param_edit, name="param_edit"),
    path("broadcast/", views.broadcast, name="broadcast"),
    path("identity-duplicates/", views.identity_duplicates, name="identity_duplicates"),
    path("menus/", views.menu_list, name="menu_list"),
    path("menus/new/", views.menu_edit, name="menu_create"),
    path("menus/<int:pk>/edit/", views.menu_edit, name="menu_edit"),
    path("menus/<int:pk>/delete/", views.menu_delete, name="menu_delete"),
    path("regions/", views_regions.region_tree, name="region_tree"),
    path("regions/new/", views_regions.region_create, name="region_create"),
    path("regions/<int:pk>/edit/", views_regions.region_edit, name="region_edit"),
    path("regions/<int:pk>/retire/", views_regions.region_retire, name="region_retire"),
    path("permission-codes/", views_codes.permission_code_list, name="permission_code_list"),
    path("permission-codes/new/", views_codes.permission_code_create, name="permission_code_create"),
    path("permission-codes/<int:pk>/edit/", views_codes.permission_code_edit, name="permission_code_edit"),
    path("permission-codes/<int:pk>/delete/", views_codes.permission_code_delete, name="permission_code_delete"),
]
