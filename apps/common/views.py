"""View helpers shared by every list page: sorting from ``?sort=``, paging from ``?page=`` and
``?size=``. Both keep the query count fixed (a COUNT unless the total is known, then the page; a deferred
join reads the page's ids, then its rows)."""
from django.core.paginator import Paginator
from django.db.models.query import ModelIterable, QuerySet

PAGE_SIZES = (10, 20, 50, 100)


def sort_queryset(request, qs, allowed: dict[str, str], default: str):
    """``allowed`` maps the public sort key to an ORM field; ``-key`` sorts descending."""
    key = request.GET.get("sort", default)
    field = allowed.get(key.lstrip("-"))
    if field is None:
        key, field = default, allowed[default.lstrip("-")]
    desc = key.startswith("-")
    return qs.order_by(f"{'-' if desc else ''}{field}", "-pk" if desc else "pk"), key


class ListPaginator(Paginator):
    """Django's paginator with two changes for big tables:

    * ``count`` may be given (e.g. from a maintained tally) instead of a COUNT over the table;
    * a page is read as a deferred join: first the page's primary keys (``ORDER BY … OFFSET … LIMIT``, which an
      index covering the order and the filters answers without touching the table), then those rows with their
      joins. A deep page then costs little more than the first; the query count stays fixed (two per page).

    ``sizes`` are the page sizes a list offers (the pagination snippet links them)."""

    sizes = PAGE_SIZES

    def __init__(self, object_list, per_page, *, count: int | None = None, deferred: bool = False, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.deferred = deferred
        if count is not None:
            self.__dict__["count"] = count  # Paginator.count is a cached_property

    def page(self, number):
        if not (self.deferred and isinstance(self.object_list, QuerySet)
                and self.object_list._iterable_class is ModelIterable):
            return super().page(number)  # a list, or values() rows: nothing to defer
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {obj.pk: obj for obj in self.object_list.filter(pk__in=ids).order_by()} if ids else {}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def paginate(request, qs, *, default_size: int = 20, count: int | None = None, deferred: bool = False):
    try:
        size = int(request.GET.get("size", default_size))
    except ValueError:
        size = default_size
    if size not in PAGE_SIZES:
        size = default_size
    return ListPaginator(qs, size, count=count, deferred=deferred).get_page(request.GET.get("page"))


def list_context(request, qs, *, sorts: dict[str, str], default_sort: str, filterset=None, size: int = 20,
                 count: int | None = None, deferred: bool = False) -> dict:
    """Everything a list template needs: the filter form, the page and the current sort. ``count``: the
    list's total when the caller knows it without counting (only when no filter narrows ``qs``);
    ``deferred``: read pages as a deferred join (lists over big tables whose deep pages are visited)."""
    ctx = {}
    if filterset is not None:
        ctx["filter"] = filterset
        qs = filterset.qs
    qs, sort = sort_queryset(request, qs, sorts, default_sort)
    ctx.update(page=paginate(request, qs, default_size=size, count=count, deferred=deferred), sort=sort)
    return ctx


def csv_stream(filename: str, header: list[str], rows):
    """A streamed CSV download (UTF-8 with BOM so that Excel opens Chinese correctly); memory stays flat
    whatever the row count. ``rows`` should be an iterator (e.g. ``qs.values_list(...).iterator()``)."""
    import csv
    from urllib.parse import quote

    from django.http import StreamingHttpResponse

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def generate():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
