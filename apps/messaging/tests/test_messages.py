import pytest

from apps.messaging.models import Message
from apps.messaging.services import message_send

pytestmark = pytest.mark.django_db


def test_send_and_inbox(client, cast, login):
    n = message_send(recipients=[cast.a_admin, cast.a_officer.pk], title="新派单提醒", body="请在 24 小时内处理",
                     link="/inst/")
    assert n == 2
    login(cast.a_admin)
    page = client.get("/inst/").content.decode()
    assert 'unread-badge">1<' in page
    listing = client.get("/inst/messages/").content.decode()
    assert "新派单提醒" in listing and "未读" in listing
    msg = Message.objects.get(recipient=cast.a_admin)
    detail = client.get(f"/inst/messages/{msg.pk}/").content.decode()
    assert "请在 24 小时内处理" in detail and 'href="/inst/"' in detail
    msg.refresh_from_db()
    assert msg.is_read and msg.read_at is not None


def test_other_users_message_is_404(client, cast, login):
    message_send(recipients=[cast.b_admin], title="乙的消息")
    other = Message.objects.get(recipient=cast.b_admin)
    login(cast.a_admin)
    assert client.get(f"/inst/messages/{other.pk}/").status_code == 404
    assert "乙的消息" not in client.get("/inst/messages/").content.decode()


def test_mark_all_read(client, cast, login):
    message_send(recipients=[cast.cm], title="一")
    message_send(recipients=[cast.cm], title="二")
    message_send(recipients=[cast.cs], title="别人的")
    login(cast.cm)
    resp = client.post("/ops/messages/read-all/", follow=True)
    assert "已将 2 条消息标为已读" in resp.content.decode()
    assert not Message.objects.filter(recipient=cast.cm, is_read=False).exists()
    assert Message.objects.filter(recipient=cast.cs, is_read=False).count() == 1


def test_external_link_not_rendered(client, cast, login):
    message_send(recipients=[cast.cm], title="钓鱼", link="https://evil.example.com/")
    login(cast.cm)
    msg = Message.objects.get(recipient=cast.cm)
    assert "evil.example.com" not in client.get(f"/ops/messages/{msg.pk}/").content.decode()


def test_inbox_wrong_area_403(client, cast, login):
    login(cast.a_admin)
    assert client.get("/ops/messages/").status_code == 403


@pytest.mark.parametrize("rows", [3, 80])
def test_inbox_query_count_fixed(client, cast, login, django_assert_num_queries, rows):
    for i in range(rows):
        message_send(recipients=[cast.cm], title=f"消息{i}", sender=cast.cs)
    login(cast.cm)
    client.get("/ops/messages/?size=100")
    with django_assert_num_queries(3):
        assert client.get("/ops/messages/?size=100").status_code == 200
