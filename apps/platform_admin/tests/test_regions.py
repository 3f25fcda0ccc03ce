"""区域 (issue 18 §7): the tree with institutions serving and applications per node (fixed query count), rename,
add a code, retire a code mapped to its successor (old applications keep theirs; new entries must use the
successor; service areas and clusters move over; dispatch serves the old code as the new one), clusters linked."""
import re

import pytest

from apps.dispatch.models import Cluster, Profile
from apps.dispatch.selectors import area_keys
from apps.regions.models import Region

pytestmark = pytest.mark.django_db


def row(html, code):
    return re.search(rf'<tr data-code="{code}">(.*?)</tr>', html, re.S).group(1)


def figures(html, code):
    return [int(n) for n in re.findall(r'<td class="text-end">(\d+)</td>', row(html, code))]


@pytest.fixture
def served(cast, partners, draft):
    """Two institutions: one serving 广东省, one only 南山区 (440305); three applications in 南山区."""
    nanshan = Region.objects.get(code="440305")
    province_wide, = partners(1)
    nanshan_only, = partners(1, areas=[nanshan])
    apps = [draft() for _ in range(3)]
    return province_wide, nanshan_only, apps


def test_the_tree_counts_institutions_and_applications_per_node(client, cast, login, served, partners, draft,
                                                                  django_assert_num_queries):
    login(cast.admin)
    html = client.get("/platform/regions/").content.decode()
    assert figures(html, "44") == [2, 3] and figures(html, "33") == [0, 0]
    html = client.get("/platform/regions/?parent=44").content.decode()
    assert figures(html, "4403") == [2, 3] and figures(html, "4401") == [1, 0]
    html = client.get("/platform/regions/?parent=4403").content.decode()
    assert figures(html, "440305") == [2, 3] and figures(html, "440304") == [1, 0]
    assert "深圳市" in html and "南山区" in html
    # the count by another way: every application of 南山区 is in the 440305 row, every institution once
    from apps.applications.models import Application

    assert Application.objects.filter(region__code="440305").count() == 3
    assert Profile.objects.filter(coverage__overlap=area_keys(Region.objects.get(code="440304"), "district")).count() == 1
    # user, children, service areas, applications, cluster links, cluster list (+ the parent and its trail)
    pinned = {"": 6, "44": 8, "4403": 8}
    for parent, n in pinned.items():
        with django_assert_num_queries(n):
            client.get(f"/platform/regions/?parent={parent}")
    partners(2, areas=[Region.objects.get(code="440304")])
    draft(), draft()
    client.get("/platform/regions/")  # rights recomputed after the new institutions' roles
    for parent, n in pinned.items():
        with django_assert_num_queries(n):
            html = client.get(f"/platform/regions/?parent={parent}").content.decode()
    assert figures(html, "440305") == [2, 5] and figures(html, "440304") == [3, 0]


def test_rename_and_add_a_code_with_clear_errors(client, cast, login):
    login(cast.admin)
    nanshan = Region.objects.get(code="440305")
    assert client.post(f"/platform/regions/{nanshan.pk}/edit/", {"name": "南山新区"}).status_code == 302
    assert "南山新区" in client.get("/platform/regions/?parent=4403").content.decode()
    for code, error in [("4403", "区县代码应为 6 位数字"), ("330106", "应以上级区划代码 4403 开头"),
                        ("440305", "已存在")]:
        html = client.post("/platform/regions/new/", {"parent": "4403", "code": code, "name": "新区"}).content.decode()
        assert error in html, code
    assert not Region.objects.filter(name="新区").exists()
    assert client.post("/platform/regions/new/", {"parent": "4403", "code": "440399", "name": "前海区"}).status_code == 302
    new = Region.objects.get(code="440399")
    assert (new.level, new.parent.code, new.province_code, new.city_code) == (3, "4403", "44", "4403")
    assert "前海区" in client.get("/platform/regions/?parent=4403").content.decode()


def test_retire_a_code_keeps_old_applications_and_moves_new_work(client, cast, login, served, make_member, product):
    province_wide, nanshan_only, apps = served
    nanshan = Region.objects.get(code="440305")
    cluster = Cluster.objects.create(level="bay", name="湾区")
    cluster.regions.add(nanshan)
    login(cast.admin)
    client.post("/platform/regions/new/", {"parent": "4403", "code": "440399", "name": "前海区"})
    html = client.post(f"/platform/regions/{nanshan.pk}/retire/", {"successor": "4403", "confirm": "on"}).content.decode()
    assert "承继区划必须是同级、有效的区划" in html
    html = client.post(f"/platform/regions/{nanshan.pk}/retire/", {"successor": "440399"}).content.decode()
    assert "请勾选确认" in html
    city = Region.objects.get(code="4403")
    html = client.post(f"/platform/regions/{city.pk}/retire/", {"successor": "4401", "confirm": "on"}).content.decode()
    assert "还有有效的下级区划" in html and Region.objects.get(code="4403").is_active
    page = client.get(f"/platform/regions/{nanshan.pk}/retire/").content.decode()
    assert 'name="successor_province"' in page and "承继区划代码" not in page  # picked, not typed
    assert client.post(f"/platform/regions/{nanshan.pk}/retire/",  # as the cascader posts it
                       {"successor_province": "44", "successor_city": "4403", "successor": "440399",
                        "confirm": "on"}).status_code == 302
    nanshan.refresh_from_db()
    assert not nanshan.is_active and nanshan.successor.code == "440399" and nanshan.current.code == "440399"
    # old applications keep their place and still show it
    for app in apps:
        app.refresh_from_db()
        assert app.region_id == nanshan.pk and app.region.name == "南山区"
    page = client.get("/platform/regions/?parent=4403").content.decode()
    assert figures(page, "440305") == [1, 3] and "已撤销" in row(page, "440305") and "440399" in row(page, "440305")
    assert figures(page, "440399") == [2, 0]
    # service areas and clusters moved to the successor; dispatch serves the old code as the new one
    profile = Profile.objects.get(pk=nanshan_only.profile.pk)
    assert list(profile.areas.values_list("region__code", flat=True)) == ["440399"]
    assert "r:440399" in profile.coverage and "r:440305" not in profile.coverage
    assert list(cluster.regions.values_list("code", flat=True)) == ["440399"]
    assert Profile.objects.filter(pk=profile.pk, coverage__overlap=area_keys(nanshan, "district")).exists()
    # new entries must use the successor
    client.post("/platform/logout/")
    login(cast.cm)
    member = make_member()
    html = client.post(f"/ops/members/{member.pk}/apply/", {
        "product": product.pk, "amount": "10000", "term_months": 12, "region_code": "440305", "purpose": "经营",
        "client_type": "individual", "consent": "on"}).content.decode()
    assert "（440305）已撤销，请改选" in html and "（440399）" in html


def test_clusters_are_shown_per_node_and_linked_to_their_editing(client, cast, login):
    cluster = Cluster.objects.create(level="yrd", name="长三角")
    cluster.regions.add(*Region.objects.filter(code__in=["31", "32", "33", "34"]))
    login(cast.admin)
    html = client.get("/platform/regions/").content.decode()
    assert f'href="/platform/dispatch/clusters/{cluster.pk}/edit/"' in row(html, "33")
    assert "长三角" in html and "4 个区划" in html and 'href="/platform/dispatch/clusters/new/"' in html
    resp = client.post(f"/platform/dispatch/clusters/{cluster.pk}/edit/", {
        "level": "yrd", "name": "长三角", "regions": list(Region.objects.filter(code__in=["31", "32"]).values_list(
            "pk", flat=True))})
    assert resp.status_code == 302
    assert "2 个区划" in client.get("/platform/regions/").content.decode()


def test_regions_refused_to_other_roles_and_missing_codes_404(client, cast, login):
    nanshan = Region.objects.get(code="440305")
    login(cast.cm)
    assert client.get("/platform/regions/").status_code == 403
    client.post("/ops/logout/")
    login(cast.a_admin)
    assert client.get("/platform/regions/").status_code == 403
    assert client.post(f"/platform/regions/{nanshan.pk}/edit/", {"name": "x"}).status_code == 403
    assert Region.objects.get(pk=nanshan.pk).name == "南山区"
    client.post("/inst/logout/")
    login(cast.admin)
    assert client.get("/platform/regions/?parent=999999").status_code == 404
    assert client.get("/platform/regions/999999999/edit/").status_code == 404
    assert client.post("/platform/regions/999999999/retire/", {"successor": "440399"}).status_code == 404
