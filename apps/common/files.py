"""Private uploads: checked by content, stored under generated names outside the web root, and
served only by views that have checked access first."""
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
SIGNATURES = {
    b"%PDF-": ("pdf", "application/pdf"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
}


def sniff(upload) -> tuple[str, str]:
    """(extension, content type) from the file's first bytes; refuses anything but PDF, JPEG and PNG."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("文件不能超过 10 MB，请压缩后重新上传。"), code="too_big")
    if upload.size == 0:
        raise ValidationError(_("文件是空的，请重新选择。"), code="empty")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for magic, kind in SIGNATURES.items():
        if head.startswith(magic):
            return kind
    raise ValidationError(_("只能上传 PDF、JPG 或 PNG 文件（按文件内容识别，改扩展名无效）。"), code="bad_type")


def private_save(upload, *, folder: str) -> str:
    """Store a checked upload; returns its relative path (to keep on the model)."""
    ext, _ctype = sniff(upload)
    rel = Path(folder) / f"{uuid.uuid4().hex}.{ext}"
    dest = Path(settings.PRIVATE_MEDIA_ROOT) / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return str(rel)


def private_response(rel: str, *, download_name: str = "") -> FileResponse:
    """Serve a stored file. Call only after the view checked the user may see its owner."""
    root = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    path = (root / rel).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    ctype = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}.get(path.suffix.lstrip("."),
                                                                                 "application/octet-stream")
    response = FileResponse(open(path, "rb"), content_type=ctype, as_attachment=bool(download_name),
                            filename=download_name or path.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
