"""The region tree as JSON for the 省/市/区 cascader (public reference data: GB/T 2260 names and codes)."""
import hashlib
import json

from django.http import HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_GET

from .selectors import region_tree_rows


@require_GET
def region_tree_json(request):
    """``[[code, name, parent code], ...]`` of every active region. An ETag lets a browser that holds the tree
    keep it (a renamed or retired region changes the tag)."""
    body = json.dumps(region_tree_rows(), ensure_ascii=False, separators=(",", ":")).encode()
    etag = f'"{hashlib.sha1(body).hexdigest()[:20]}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=600"
    return response
