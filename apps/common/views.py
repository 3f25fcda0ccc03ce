"""View helpers shared by every list page: sorting from ``?sort=``, paging from ``?page=`` and
``?size=``. Both keep the query count fixed (one COUNT and one page query)."""
from django.core.paginator import Paginator

PAGE_SIZES = (10, 20, 50, 100)


def sort_queryset(request, qs, allowed: dict[str, str], default: str):
    """``allowed`` maps the public sort key to an ORM field; ``-key`` sorts descending."""
    key = request.GET.get("sort", default)
    field = allowed.get(key.lstrip("-"))
    if field is None:
        key, field = default, allowed[default.lstrip("-")]
    desc = key.startswith("-")
    return qs.order_by(f"{'-' if desc else ''}{field}", "-pk" if desc else "pk"), key


def paginate(request, qs, *, default_size: int = 20):
    try:
        size = int(request.GET.get("size", default_size))
    except ValueError:
        size = default_size
    if size not in PAGE_SIZES:
        size = default_size
    paginator = Paginator(qs, size)
    return paginator.get_page(request.GET.get("page"))


def list_context(request, qs, *, sorts: dict[str, str], default_sort: str, filterset=None, size: int = 20) -> dict:
    """Everything a list template needs: the filter form, the page and the current sort."""
    ctx = {}
    if filterset is not None:
        ctx["filter"] = filterset
        qs = filterset.qs
    qs, sort = sort_queryset(request, qs, sorts, default_sort)
    ctx.update(page=paginate(request, qs, default_size=size), sort=sort, page_sizes=PAGE_SIZES)
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
