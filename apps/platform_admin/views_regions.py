"""区域: the province/city/district tree, one level per page, with per node the institutions that serve it and the
applications in it (a fixed number of queries whatever the level); rename, add a code, retire a code mapped to
its successor; the dispatch clusters that use each node, edited on the dispatch cluster pages linked from here."""
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.permissions import area_view
from apps.common.steps import form_step
from apps.applications.models import Application
from apps.dispatch.models import Cluster, ServiceArea
from apps.regions import services as regions
from apps.regions.models import Region

from . import services
from .forms import RegionAddForm, RegionNameForm, RegionRetireForm

L = Region.Level


def _ancestors(region: Region | None) -> list[Region]:
    if region is None:
        return []
    codes = [c for c in (region.province_code, region.city_code, region.code) if c]
    return sorted(Region.objects.filter(code__in=set(codes)), key=lambda r: r.level)


def _serving(parent: Region | None, children: list[Region]) -> dict[int, int]:
    """How many institutions serve each child: a service area on it, on a region above it, or inside it."""
    rows = ServiceArea.objects.all()
    if parent is not None and parent.level == L.PROVINCE:
        rows = rows.filter(province_code=parent.code)
    elif parent is not None:
        rows = rows.filter(province_code=parent.province_code)
    rows = list(rows.values_list("profile_id", "level", "region__code", "province_code", "city_code"))
    out = {}
    for child in children:
        if child.level == L.PROVINCE:
            hit = {p for p, _lv, _c, prov, _city in rows if prov == child.code}
        elif child.level == L.CITY:
            hit = {p for p, lv, _c, prov, city in rows
                   if city == child.code or (lv == L.PROVINCE and prov == child.province_code)}
        else:
            hit = {p for p, lv, code, prov, city in rows
                   if code == child.code or (lv == L.CITY and city == child.city_code)
                   or (lv == L.PROVINCE and prov == child.province_code)}
        out[child.pk] = len(hit)
    return out


def _applications(parent: Region | None) -> dict[str, int]:
    """Applications per child code (an application's region is a district)."""
    qs = Application.objects.all()
    if parent is None:
        key = "region__province_code"
    elif parent.level == L.PROVINCE:
        qs, key = qs.filter(region__province_code=parent.code), "region__city_code"
    else:
        qs, key = qs.filter(region__city_code=parent.code), "region__code"
    return dict(qs.order_by().values(key).annotate(n=Count("id")).values_list(key, "n"))


@area_view("regions.view_region")
def region_tree(request):
    code = request.GET.get("parent", "").strip()
    parent = get_object_or_404(Region, code=code) if code else None
    if parent is not None and parent.level == L.DISTRICT:
        parent = parent.parent
    children = list(Region.objects.filter(parent=parent).select_related("successor").order_by("-is_active", "code"))
    serving, apps = _serving(parent, children), _applications(parent)
    clusters: dict[int, list] = {}
    for region_id, cluster_id, name in Cluster.regions.through.objects.filter(
            region__in=[c.pk for c in children]).values_list("region_id", "cluster_id", "cluster__name"):
        clusters.setdefault(region_id, []).append((cluster_id, name))
    rows = [{"region": c, "institutions": serving.get(c.pk, 0), "applications": apps.get(c.code, 0),
             "clusters": clusters.get(c.pk, [])} for c in children]
    return render(request, "platform_admin/region_tree.html", {
        "parent": parent, "trail": _ancestors(parent), "rows": rows,
        "all_clusters": Cluster.objects.annotate(n=Count("regions")).order_by("level", "name"),
        "add_form": RegionAddForm(), "child_level": L(parent.level + 1).label if parent else L.PROVINCE.label})


def _back(region: Region) -> str:
    url = reverse("platform:region_tree")
    return f"{url}?parent={region.parent.code}" if region.parent_id else url


@area_view("regions.manage_regions")
def region_edit(request, pk: int):
    region = get_object_or_404(Region, pk=pk)
    form = RegionNameForm(request.POST or None, initial={"name": region.name})
    if request.method == "POST" and form.is_valid():
        done = form_step(request, form, regions.region_rename, actor=request.user, region=region,
                         name=form.cleaned_data["name"], field="name", redirect_to=lambda _r: _back(region),
                         success=lambda _r: _("区划 %(c)s 已改名为“%(n)s”。") % {"c": region.code, "n": region.name})
        if done:
            return done
    return render(request, "platform_admin/region_form.html",
                  {"form": form, "region": region, "title": _("修改名称"), "trail": _ancestors(region)})


@area_view("regions.manage_regions")
def region_create(request):
    code = (request.POST.get("parent") or request.GET.get("parent") or "").strip()
    parent = get_object_or_404(Region, code=code) if code else None
    form = RegionAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = form_step(request, form, regions.region_add, actor=request.user, parent=parent,
                         code=form.cleaned_data["code"], name=form.cleaned_data["name"], field="code",
                         success=lambda region: _("已新增区划 %(c)s %(n)s。") % {"c": region.code, "n": region.name},
                         redirect_to=_back)
        if done:
            return done
    return render(request, "platform_admin/region_form.html",
                  {"form": form, "region": None, "parent": parent, "title": _("新增区划"),
                   "trail": _ancestors(parent)})


@area_view("regions.manage_regions")
def region_retire(request, pk: int):
    region = get_object_or_404(Region, pk=pk)
    form = RegionRetireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = form_step(request, form, services.region_retire, actor=request.user, region=region,
                         successor=form.cleaned_data["successor"], field="successor",
                         redirect_to=lambda _r: _back(region), success=_("区划 %(c)s 已撤销，新录入将使用 %(s)s。") % {
                             "c": region.code, "s": form.cleaned_data["successor"].code})
        if done:
            return done
    return render(request, "platform_admin/region_form.html",
                  {"form": form, "region": region, "title": _("撤销区划代码"), "trail": _ancestors(region),
                   "retire": True})
