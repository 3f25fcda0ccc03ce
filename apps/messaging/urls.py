from django.urls import path

from . import views

# Mounted in every area (each has an inbox).
patterns = [
    path("messages/", views.message_list, name="message_list"),
    path("messages/<int:pk>/", views.message_detail, name="message_detail"),
    path("messages/read-all/", views.message_mark_all_read, name="message_mark_all_read"),
]
