"""Entries of tests/test_url_isolation.py's registry for the platform admin site's own URLs (no tenant data: any
id works; the wrong-area and anonymous checks are what apply)."""

FOREIGN_DEFAULT_OK = {"platform:permission_code_edit", "platform:permission_code_delete", "platform:region_edit",
                      "platform:region_retire"}
