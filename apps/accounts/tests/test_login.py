import pytest

from apps.accounts.models import LoginLog, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who,area", [("cm", "ops"), ("admin", "platform"), ("a_admin", "inst")])
def test_login_to_own_area(client, cast, who, area):
    user = getattr(cast, who)
    resp = client.post(f"/{area}/login/", {"username": user.username, "password": cast.password}, REMOTE_ADDR="10.1.2.3")
    assert resp.status_code == 302 and resp["Location"] == f"/{area}/"
    assert client.get(f"/{area}/").status_code == 200
    user.refresh_from_db()
    assert user.last_login_ip == "10.1.2.3"
    assert LoginLog.objects.filter(user=user, success=True, area=area).exists()


@pytest.mark.parametrize("who,area", [
    ("a_admin", "ops"), ("a_admin", "platform"), ("cm", "inst"), ("cm", "platform"), ("admin", "ops"), ("admin", "inst"),
])
def test_wrong_area_login_refused(client, cast, who, area):
    user = getattr(cast, who)
    resp = client.post(f"/{area}/login/", {"username": user.username, "password": cast.password})
    assert resp.status_code == 200
    assert "该账号不能登录本区域" in resp.content.decode()
    assert "_auth_user_id" not in client.session
    assert LoginLog.objects.filter(user=user, success=False, reason="登录区域不符").exists()


def test_bad_password_shows_chinese_error_and_is_logged(client, cast):
    resp = client.post("/ops/login/", {"username": cast.cm.username, "password": "wrong-password-1"})
    assert resp.status_code == 200
    assert "账号或密码错误" in resp.content.decode()
    assert LoginLog.objects.filter(username=cast.cm.username, success=False).count() == 1


def test_lockout_after_repeated_failures(client, cast):
    for _ in range(5):
        client.post("/inst/login/", {"username": cast.a_admin.username, "password": "wrong-password-1"})
    resp = client.post("/inst/login/", {"username": cast.a_admin.username, "password": cast.password})
    assert resp.status_code == 429
    assert "账号已临时锁定" in resp.content.decode()
    assert "_auth_user_id" not in client.session


def test_disabled_institution_cannot_sign_in(client, cast):
    cast.inst_b.is_active = False
    cast.inst_b.save()
    resp = client.post("/inst/login/", {"username": cast.b_admin.username, "password": cast.password})
    assert resp.status_code == 200
    assert "_auth_user_id" not in client.session


def test_unauthenticated_goes_to_area_login(client, cast):
    for area in ("ops", "platform", "inst"):
        resp = client.get(f"/{area}/")
        assert resp.status_code == 302 and resp["Location"].startswith(f"/{area}/login/")


def test_absolute_session_timeout(client, cast, login, settings):
    from apps.accounts.middleware import LOGIN_AT_KEY

    login(cast.cm)
    session = client.session
    session[LOGIN_AT_KEY] -= settings.SESSION_ABSOLUTE_SECONDS + 1
    session.save()
    resp = client.get("/ops/")
    assert resp.status_code == 302 and "expired=1" in resp["Location"]
    assert "_auth_user_id" not in client.session


def test_idle_expiry_is_refreshed_once_a_minute_not_on_every_request(client, cast, login, settings, monkeypatch):
    import time

    from django.contrib.sessions.models import Session

    login(cast.cm)
    key = client.session.session_key

    def expiry():
        return Session.objects.get(session_key=key).expire_date

    client.get("/ops/")  # the first request after sign-in starts the idle clock
    first = expiry()
    assert client.get("/ops/").status_code == 200 and expiry() == first  # seconds later: no session write
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + settings.SESSION_REFRESH_SECONDS + 1)
    assert client.get("/ops/").status_code == 200
    assert expiry() > first  # a minute on: the idle timeout starts again


def test_logout_is_post_only_and_ends_session(client, cast, login):
    login(cast.cm)
    assert client.get("/ops/logout/").status_code == 405
    assert client.post("/ops/logout/").status_code == 302
    assert client.get("/ops/").status_code == 302


def test_previous_login_shown_in_institution_header(client, cast, login):
    login(cast.a_admin)
    client.post("/inst/logout/")
    login(cast.a_admin)
    user = User.objects.get(pk=cast.a_admin.pk)
    assert user.previous_login is not None
    page = client.get("/inst/").content.decode()
    assert "甲机构" in page and "上次登录" in page and user.real_name in page


def test_strong_password_validation():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("12345678901", "abcdefghijk", "short1"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Shuyin-2026-strong")
