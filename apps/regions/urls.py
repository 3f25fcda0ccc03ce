from django.urls import path

from . import views

# Public (no area, no sign-in): the reference tree the cascader of every area reads.
public_patterns = [
    path("regions.json", views.region_tree_json, name="region_tree_json"),
]
