"""Uploads are checked by what they are, through the real upload forms: a PDF must parse and is written again, a
JPEG/PNG is decoded and encoded again (no trailing payload, no EXIF location), a decompression bomb is refused from
its header."""
import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image
from pypdf import PdfReader, PdfWriter

from apps.applications.models import Application
from apps.common.files import MAX_UPLOAD_PIXELS, upload_check
from apps.complaints.models import Attachment, Complaint
from apps.members.models import Member
from apps.positions.models import Recharge
from tests.fixtures.files import JPEG, PDF, PNG, jpeg_bytes, png_bytes

pytestmark = pytest.mark.django_db
PHP = b"<?php system($_GET['c']); ?>"


def stored(rel: str) -> bytes:
    return (Path(settings.PRIVATE_MEDIA_ROOT) / rel).read_bytes()


def stored_files() -> list[Path]:
    return [p for p in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file()]


def gps_jpeg(size=(40, 20), orientation: int = 1) -> bytes:
    """A photo as a phone writes it: EXIF with a GPS position (深圳) and an orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (22.0, 32.0, 10.0),
                                   ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (113.0, 56.0, 4.0)}
    img = Image.new("RGB", size, "white")
    img.paste((200, 0, 0), (0, 0, size[0] // 2, size[1]))  # left half red: shows which way up the photo is
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A real, valid greyscale PNG of width×height black pixels: a few hundred KB that decode to width×height bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    deflate, row = zlib.compressobj(9), b"\x00" * (width + 1)  # filter byte + one row of pixels
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def pdf_with_password() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="open-sesame", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def member_data(**photos):
    from apps.common.validators import resident_id_check_char

    first17 = "44030519900101555"
    return {"real_name": "赵六", "id_number": first17 + resident_id_check_char(first17), "mobile": "13812345601",
            "address": "深圳市南山区", "client_type": "individual",
            "id_photo_front": SimpleUploadedFile("front.png", PNG), "id_photo_back": SimpleUploadedFile("back.png", PNG),
            **photos}


def voucher_post(client, voucher):
    return client.post("/inst/finance/recharge/", {"method": "offline", "amount": "5000.00", "bank_reference": "ICBC9",
                                                   "voucher": voucher})


# ---- member ID photos ----

def test_member_photo_with_only_jpeg_magic_bytes_is_refused(client, cast, login):
    login(cast.cm)
    polyglot = SimpleUploadedFile("front.jpg", b"\xff\xd8\xff\xe0" + PHP, content_type="image/jpeg")
    resp = client.post("/ops/members/new/", member_data(id_photo_front=polyglot))
    assert resp.status_code == 200 and "图片已损坏或不完整" in resp.content.decode()
    assert not Member.objects.exists() and not stored_files()


def test_member_photo_gps_exif_and_trailing_payload_are_not_stored(client, cast, login):
    login(cast.cm)
    photo = gps_jpeg() + PHP
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the sample does carry GPS
    resp = client.post("/ops/members/new/", member_data(id_photo_front=SimpleUploadedFile("front.jpg", photo)))
    assert resp.status_code == 302
    member = Member.objects.get()
    data = stored(member.id_photo_front)
    assert member.id_photo_front.endswith(".jpg") and PHP not in data and b"Exif" not in data
    img = Image.open(io.BytesIO(data))
    assert img.size == (40, 20) and not img.getexif() and "exif" not in img.info
    assert img.getpixel((5, 10))[0] > 150 and img.getpixel((35, 10))[1] > 150  # the same picture: red left half


def test_member_photo_bomb_is_refused_from_its_header(client, cast, login):
    """60 million pixels in a 60 KB file: refused before decoding (decoding it would take ~60 MB and seconds)."""
    bomb = png_bomb(10_000, 6_000)
    assert len(bomb) < 200_000 and 10_000 * 6_000 > MAX_UPLOAD_PIXELS
    login(cast.cm)
    started = time.perf_counter()
    resp = client.post("/ops/members/new/", member_data(id_photo_back=SimpleUploadedFile("back.png", bomb)))
    elapsed = time.perf_counter() - started
    assert resp.status_code == 200 and "图片像素过大（10000×6000，上限 4000 万像素）" in resp.content.decode()
    assert elapsed < 2 and not Member.objects.exists() and not stored_files()


def test_giant_bomb_beyond_pillows_own_limit_gets_the_same_message():
    bomb = png_bomb(20_000, 10_000)  # 200 MP: Pillow itself refuses to open it
    with pytest.raises(Exception) as exc:
        upload_check(SimpleUploadedFile("x.png", bomb))
    assert "图片像素过大" in exc.value.messages[0]


# ---- recharge voucher ----

def test_voucher_php_after_pdf_header_is_refused(client, cast, login):
    login(cast.a_admin)
    resp = voucher_post(client, SimpleUploadedFile("v.pdf", b"%PDF-1.4\n" + PHP + b"\n%%EOF\n"))
    assert resp.status_code == 200 and "PDF 文件已损坏或不是有效的 PDF" in resp.content.decode()
    assert not Recharge.objects.exists() and not stored_files()


@pytest.mark.parametrize("upload,error", [
    (pdf_with_password(), "PDF 设置了打开密码，请去除密码后重新上传。"),
    (PDF[: len(PDF) // 2], "PDF 文件已损坏"),
    (png_bytes()[:40], "图片已损坏或不完整"),
])
def test_voucher_locked_or_broken_files_are_refused(client, cast, login, upload, error):
    login(cast.a_admin)
    resp = voucher_post(client, SimpleUploadedFile("v.bin", upload))
    assert resp.status_code == 200 and error in resp.content.decode()
    assert not Recharge.objects.exists()


def test_voucher_valid_pdf_with_trailing_payload_is_stored_without_it(client, cast, login):
    login(cast.a_admin)
    resp = voucher_post(client, SimpleUploadedFile("v.pdf", PDF + PHP))
    assert resp.status_code == 302
    data = stored(Recharge.objects.get().voucher)
    assert PHP not in data and len(PdfReader(io.BytesIO(data)).pages) == 1
    served = client.get(f"/inst/finance/recharges/{Recharge.objects.get().pk}/voucher/")
    assert served["Content-Type"] == "application/pdf" and served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"


# ---- application documents ----

@pytest.fixture
def new_app(cast, make_member, product):
    """new_app() → a draft application of cast.cm with no documents yet."""
    from apps.applications import services
    from apps.regions.models import Region

    return lambda: services.application_create(
        actor=cast.cm, member=make_member(), product=product, amount="50000", term_months=12,
        region=Region.objects.get(code="440305"), purpose="经营", client_type="individual")


def test_document_jpeg_with_trailing_payload_is_stored_reencoded(client, cast, login, new_app):
    app = new_app()
    login(cast.cm)
    client.post(f"/ops/applications/{app.pk}/documents/",
                {"name": "收入证明", "file": SimpleUploadedFile("income.jpg", JPEG + PHP)})
    doc = Application.objects.get(pk=app.pk).documents.get()
    served = b"".join(client.get(f"/ops/applications/{app.pk}/documents/{doc.pk}/").streaming_content)
    assert served == stored(doc.path) and PHP not in served and served.startswith(b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(served)).size == (8, 8)


def test_document_rotated_phone_photo_is_stored_upright(client, cast, login, new_app):
    """Dropping EXIF drops the orientation too: the pixels are turned first, so the photo still shows upright."""
    app = new_app()
    login(cast.cm)
    client.post(f"/ops/applications/{app.pk}/documents/",
                {"name": "身份证", "file": SimpleUploadedFile("id.jpg", gps_jpeg(orientation=6))})
    img = Image.open(io.BytesIO(stored(app.documents.get().path)))
    assert img.size == (20, 40) and not img.getexif()  # orientation 6: turned 90° clockwise
    assert img.getpixel((10, 5))[1] < 100 and img.getpixel((10, 35))[1] > 150  # red on top after the turn


# ---- complaint attachments ----

def test_complaint_attachments_checked_each(client, cast, login):
    login(cast.cm)
    base = dict(subject="客户经理未及时回复", content="客户三天未收到回复", contact_person="李女士",
                contact_phone="0755-86001234")
    resp = client.post("/ops/complaints/new/", {**base, "attachments": [
        SimpleUploadedFile("聊天记录.jpg", gps_jpeg()), SimpleUploadedFile("伪装.pdf", b"%PDF-1.7\n" + PHP)]})
    assert resp.status_code == 200 and "伪装.pdf：PDF 文件已损坏" in resp.content.decode()
    assert not Complaint.objects.exists() and not stored_files()
    resp = client.post("/ops/complaints/new/", {**base, "attachments": [
        SimpleUploadedFile("聊天记录.jpg", gps_jpeg() + PHP), SimpleUploadedFile("通话记录.pdf", PDF + PHP)]})
    assert resp.status_code == 302
    for att in Attachment.objects.all():
        data = stored(att.path)
        assert PHP not in data and b"GPS" not in data and b"TestPhone" not in data


def test_png_text_chunks_and_trailing_data_are_dropped():
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", PHP.decode())
    out = io.BytesIO()
    Image.new("RGBA", (6, 6), (0, 0, 255, 128)).save(out, "PNG", pnginfo=meta)
    checked = upload_check(SimpleUploadedFile("a.png", out.getvalue() + PHP))
    assert checked.ext == "png" and PHP not in checked.data
    img = Image.open(io.BytesIO(checked.data))
    assert img.mode == "RGBA" and img.getpixel((1, 1)) == (0, 0, 255, 128)


def test_jpeg_comment_is_dropped():
    checked = upload_check(SimpleUploadedFile("a.jpg", jpeg_bytes(comment=PHP)))
    assert PHP not in checked.data and Image.open(io.BytesIO(checked.data)).size == (8, 8)


@pytest.mark.parametrize("fmt,mode", [("JPEG", "L"), ("JPEG", "CMYK"), ("PNG", "P"), ("PNG", "LA"), ("PNG", "I;16")])
def test_common_image_variants_are_accepted_as_they_are(fmt, mode):
    """Greyscale and CMYK scans, palette and 16-bit PNGs: re-encoded in their own mode, not refused."""
    out = io.BytesIO()
    img = Image.new(mode, (12, 9))
    img.save(out, fmt, **({"transparency": 0} if mode == "P" else {}))
    checked = upload_check(SimpleUploadedFile("scan", out.getvalue()))
    again = Image.open(io.BytesIO(checked.data))
    assert again.format == fmt and again.mode == mode and again.size == (12, 9)
    assert again.info.get("transparency") == (0 if mode == "P" else None)
