"""Private uploads: checked by content, stored under generated names outside the web root, and
served only by views that have checked access first.

A file is accepted by what it is, not by how it starts: a PDF must parse (pypdf) and is stored as pypdf writes
it again, so bytes outside its objects (a script after a valid header, data after ``%%EOF``) are not kept; a JPEG
or PNG is decoded and encoded again (Pillow), which keeps the pixels and drops trailing payloads and metadata
such as EXIF location. An image whose header announces more than ``MAX_UPLOAD_PIXELS`` is refused before it is
decoded (a small file can expand to gigabytes: a decompression bomb)."""
import io
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps
from pypdf import PdfReader, PdfWriter

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# 40 million pixels: a 48 MP phone photo binned to 12 MP passes with room; decoding one costs ~120 MB (RGB).
MAX_UPLOAD_PIXELS = 40_000_000
MAX_PDF_PAGES = 500
JPEG_QUALITY = 92
SIGNATURES = {
    b"%PDF-": ("pdf", "application/pdf"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
}
PILLOW_FORMAT = {"jpg": "JPEG", "png": "PNG"}
CHECKED_ATTR = "_shuyin_checked"


@dataclass(frozen=True)
class CheckedFile:
    ext: str
    content_type: str
    data: bytes  # what is stored: the PDF as pypdf wrote it, the image as Pillow encoded it


def sniff(upload) -> tuple[str, str]:
    """(extension, content type) of an acceptable upload; refuses anything but a PDF that parses or a JPEG/PNG that
    decodes, with a Chinese message for the form. Forms call this; ``private_save`` stores the checked content."""
    checked = upload_check(upload)
    return checked.ext, checked.content_type


def upload_check(upload) -> CheckedFile:
    """Check an upload by content and produce the bytes to store (memoised on the upload object, so a form's check
    and the service's save decode it once)."""
    cached = getattr(upload, CHECKED_ATTR, None)
    if cached is not None:
        return cached
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("文件不能超过 10 MB，请压缩后重新上传。"), code="too_big")
    if upload.size == 0:
        raise ValidationError(_("文件是空的，请重新选择。"), code="empty")
    upload.seek(0)
    raw = upload.read()
    upload.seek(0)
    for magic, (ext, ctype) in SIGNATURES.items():
        if raw.startswith(magic):
            data = _pdf_rewrite(raw) if ext == "pdf" else _image_reencode(raw, ext)
            checked = CheckedFile(ext, ctype, data)
            setattr(upload, CHECKED_ATTR, checked)
            return checked
    raise ValidationError(_("只能上传 PDF、JPG 或 PNG 文件（按文件内容识别，改扩展名无效）。"), code="bad_type")


def _pdf_rewrite(raw: bytes) -> bytes:
    """Parse the PDF and write it again from its objects. Refused: anything pypdf cannot read as a document with
    pages, and a PDF that needs a password to open (reviewers could not read it)."""
    broken = ValidationError(_("PDF 文件已损坏或不是有效的 PDF，无法打开。请重新导出或扫描后上传。"), code="bad_pdf")
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(_("PDF 设置了打开密码，请去除密码后重新上传。"), code="pdf_encrypted")
        pages = len(reader.pages)
        if pages == 0:
            raise broken
        if pages > MAX_PDF_PAGES:
            raise ValidationError(_("PDF 不能超过 %(n)s 页，请拆分后上传。") % {"n": MAX_PDF_PAGES}, code="pdf_pages")
        for page in reader.pages:
            page.mediabox  # every page object must resolve, not only the page count  # noqa: B018
        writer = PdfWriter(clone_from=reader)
        out = io.BytesIO()
        writer.write(out)
    except ValidationError:
        raise
    except Exception as exc:  # a parser fed hostile bytes can fail in any way: the answer is a refusal, not a 500
        raise broken from exc
    return out.getvalue()


def _image_reencode(raw: bytes, ext: str) -> bytes:
    """Decode the image and encode its pixels again in the same format: nothing but pixels survives, so no trailing
    payload, comment, colour profile or EXIF block (GPS location) is stored. The photo is turned upright by its
    EXIF orientation first, which would otherwise be lost with the EXIF."""
    fmt = PILLOW_FORMAT[ext]
    broken = ValidationError(_("图片已损坏或不完整，无法打开，请重新拍摄或导出后上传。"), code="bad_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=[fmt]) as img:
                # The header alone gives the size: refuse before a byte of pixel data is decoded.
                if img.width * img.height > MAX_UPLOAD_PIXELS:
                    raise _too_many_pixels(img.width, img.height)
                img.load()
                rotated = img.getexif().get(ExifTags.Base.Orientation, 1) in range(2, 9)
                pixels = ImageOps.exif_transpose(img) if rotated else img
                # Named empty so Pillow does not carry them over from the source's own info.
                options = {"icc_profile": None, "exif": b"", "comment": b""}
                if fmt == "JPEG":
                    if pixels.mode not in ("L", "RGB", "CMYK"):
                        pixels = pixels.convert("RGB")
                    # the source's chroma subsampling, which Pillow can read only from the decoded JPEG itself
                    options.update(quality=JPEG_QUALITY, **({"subsampling": "keep"} if pixels is img else {}))
                out = io.BytesIO()
                pixels.save(out, format=fmt, **options)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(None, None) from None
    except Exception as exc:  # as for PDFs: any failure to decode hostile bytes is a refusal
        raise broken from exc
    return out.getvalue()


def _too_many_pixels(width, height) -> ValidationError:
    size = f"{width}×{height}，" if width else ""
    return ValidationError(
        _("图片像素过大（%(size)s上限 %(limit)s 万像素），请缩小尺寸后重新上传。")
        % {"size": size, "limit": MAX_UPLOAD_PIXELS // 10_000}, code="too_many_pixels")


def private_save(upload, *, folder: str) -> str:
    """Store a checked upload (the checked content, not the bytes as sent); returns its relative path."""
    checked = upload_check(upload)
    rel = Path(folder) / f"{uuid.uuid4().hex}.{checked.ext}"
    dest = Path(settings.PRIVATE_MEDIA_ROOT) / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(checked.data)
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
