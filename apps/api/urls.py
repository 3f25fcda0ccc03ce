from django.urls import path

from . import views
from .v1 import api, docs

inst_patterns = [
    path("api-keys/", views.apikey_list, name="apikey_list"),
    path("api-keys/<int:pk>/revoke/", views.apikey_revoke, name="apikey_revoke"),
]

public_patterns = [
    path("api/v1/", api.urls),
    path("api/docs", docs, name="api_docs"),
]
