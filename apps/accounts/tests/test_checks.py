from django.core.checks import Error

from apps.accounts.checks import iter_area_patterns, views_have_permission_codes


def test_every_area_view_states_a_permission_code():
    assert views_have_permission_codes(None) == []
    assert sum(1 for _ in iter_area_patterns()) > 20


def test_check_catches_an_unguarded_view(monkeypatch):
    from django.urls import path

    from shuyin import urls

    def naked(request):
        return None

    monkeypatch.setattr(urls, "urlpatterns", urls.urlpatterns + [
        path("ops-extra/", __import__("django.urls", fromlist=["include"]).include(([path("x/", naked, name="x")], "ops")))])
    from django.urls import clear_url_caches

    clear_url_caches()
    try:
        errors = views_have_permission_codes(None)
    finally:
        clear_url_caches()
    assert any(isinstance(e, Error) and "ops:x" in e.msg for e in errors)
