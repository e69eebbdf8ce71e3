"""Product images: real JPEG and PNG files made with Pillow are re-encoded into a thumbnail
(≤ 320 px) and a large rendition (≤ 1280 px) without their EXIF data, and served to signed-in
users by permission; anything that is not a JPEG/PNG/WebP image of at most 5 MB is refused."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image, ImageDraw

from digipay.audit.models import AuditEvent
from digipay.catalog.models import Product, ProductImage
from digipay.catalog.rules import ProductState

from .conftest import SATKER_USER, CatalogKit, Seller

EXIF_MAKE, EXIF_MODEL, EXIF_ORIENTATION, EXIF_GPS = 0x010F, 0x0110, 0x0112, 0x8825


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def picture(
    fmt: str = "JPEG",
    size: tuple[int, int] = (2000, 1500),
    *,
    mode: str = "RGB",
    exif: bool = True,
    orientation: int = 1,
) -> bytes:
    """A drawn picture (not noise: a few hundred KB) with camera and GPS EXIF tags."""
    image = Image.new(mode, size, (30, 120, 200, 255) if mode == "RGBA" else (30, 120, 200))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((w // 10, h // 10, w // 2, h // 2), fill=(240, 200, 20))
    draw.ellipse((w // 2, h // 2, w - 1, h - 1), fill=(200, 30, 60))
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if exif:
        tags = Image.Exif()
        tags[EXIF_MAKE] = "Canon"
        tags[EXIF_MODEL] = "EOS 2000D"
        tags[EXIF_ORIENTATION] = orientation
        tags[EXIF_GPS] = {1: "S", 2: (6.0, 10.0, 30.0), 3: "E", 4: (106.0, 49.0, 10.0)}
        options["exif"] = tags.tobytes()
    image.save(out, fmt, **options)
    return out.getvalue()


def decode(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def seller(kit: CatalogKit) -> Seller:
    return kit.seller("CV Foto Produk Jelas")


@pytest.fixture
def product(kit: CatalogKit, seller: Seller) -> Product:
    return kit.product(seller, "Kursi lipat besi", category="MEBEL-KURSI", price=150_000)


def test_a_jpeg_is_resized_and_loses_its_exif(
    media: Path, api: Any, seller: Seller, product: Product
) -> None:
    original = picture("JPEG")
    assert decode(original).getexif()[EXIF_MAKE] == "Canon"
    response = api(seller.admin).upload(
        f"/api/v1/catalog/products/{product.pk}/images",
        "image",
        "IMG_0001.JPG",
        original,
        alt_text="Kursi lipat tampak depan",
    )
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["width"], out["height"]) == (2000, 1500)
    assert out["alt_text"] == "Kursi lipat tampak depan"
    assert out["thumb_url"] == f"/api/v1/catalog/images/{out['id']}/thumb"

    buyer = api(SATKER_USER)
    thumb = buyer.get(out["thumb_url"])
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"
    small = decode(body(thumb))
    assert small.format == "JPEG"
    assert max(small.size) <= 320
    assert small.size == (320, 240)
    large = decode(body(buyer.get(out["large_url"])))
    assert max(large.size) <= 1280
    assert large.size == (1280, 960)
    for rendition in (small, large):
        assert len(rendition.getexif()) == 0
        assert "exif" not in rendition.info
    stored = ProductImage.objects.get(pk=out["id"])
    for f in (stored.large, stored.thumb):
        path = Path(f.path)
        assert path.is_relative_to(media)
        assert b"Canon" not in path.read_bytes()
        assert "IMG_0001" not in path.name
    assert AuditEvent.objects.filter(
        action="product.image_added", object_id=str(product.pk)
    ).exists()
    detail = buyer.get(f"/api/v1/catalog/products/{product.pk}").json()
    assert [i["id"] for i in detail["images"]] == [out["id"]]


def test_a_png_with_transparency_stays_png(
    media: Path, api: Any, seller: Seller, product: Product
) -> None:
    response = api(seller.admin).upload(
        f"/api/v1/catalog/products/{product.pk}/images",
        "image",
        "kursi.png",
        picture("PNG", (1500, 2000), mode="RGBA", exif=False),
    )
    assert response.status_code == 201, response.content
    thumb = api(SATKER_USER).get(response.json()["thumb_url"])
    assert thumb["Content-Type"] == "image/png"
    small = decode(body(thumb))
    assert small.format == "PNG"
    assert small.mode == "RGBA"
    assert small.size == (240, 320)


def test_the_exif_orientation_is_applied_before_it_is_dropped(
    media: Path, api: Any, seller: Seller, product: Product
) -> None:
    # A portrait photo stored landscape with "rotate 90°" in its EXIF.
    response = api(seller.admin).upload(
        f"/api/v1/catalog/products/{product.pk}/images",
        "image",
        "hp.jpg",
        picture("JPEG", (2000, 1500), orientation=6),
    )
    assert response.status_code == 201, response.content
    large = decode(body(api(SATKER_USER).get(response.json()["large_url"])))
    assert large.size == (960, 1280)
    assert len(large.getexif()) == 0


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (40, 40)).save(out, "GIF")
    return out.getvalue()


def _huge_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")  # 48 megapixels in a small file
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("catatan.png", lambda: b"bukan gambar, hanya teks biasa\n" * 20),
        ("kosong.jpg", lambda: b""),
        ("animasi.gif", _gif),
        ("besar.jpg", lambda: picture("JPEG", (64, 64))[:-2] + b"\0" * (5 * 1024 * 1024)),
        ("rusak.jpg", lambda: picture("JPEG", (400, 300))[:600]),
        ("raksasa.png", _huge_png),
        ("dokumen.pdf", lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
    ],
)
def test_files_that_are_not_acceptable_images_are_refused(
    media: Path, api: Any, seller: Seller, product: Product, name: str, make: Any
) -> None:
    response = api(seller.admin).upload(
        f"/api/v1/catalog/products/{product.pk}/images", "image", name, make()
    )
    assert response.status_code == 422, response.content
    assert response.json()["details"]["field"] == "image"
    assert not ProductImage.objects.exists()
    assert not any(p.is_file() for p in media.rglob("*"))


def test_at_most_six_images_per_product(
    media: Path,
    api: Any,
    seller: Seller,
    product: Product,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = api(seller.admin)
    url = f"/api/v1/catalog/products/{product.pk}/images"
    ids = []
    for n in range(6):
        response = client.upload(url, "image", f"{n}.jpg", picture("JPEG", (64, 48), exif=False))
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    seventh = client.upload(url, "image", "7.jpg", picture("JPEG", (64, 48), exif=False))
    assert seventh.status_code == 422
    assert ProductImage.objects.filter(product=product).count() == 6
    # Removing one makes room again; the removed files are gone.
    removed = ProductImage.objects.get(pk=ids[0])
    paths = [Path(removed.large.path), Path(removed.thumb.path)]
    # The files go only once the deletion is committed (a rollback keeps them).
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{url}/{ids[0]}").status_code == 204
    assert not any(p.exists() for p in paths)
    removal = AuditEvent.objects.get(action="product.image_removed", object_id=str(product.pk))
    assert removal.before == {"image_id": ids[0]}
    assert api(SATKER_USER).get(f"/api/v1/catalog/images/{ids[0]}/thumb").status_code == 404
    again = client.upload(url, "image", "8.jpg", picture("JPEG", (64, 48), exif=False))
    assert again.status_code == 201


def test_images_follow_the_visibility_of_their_product(
    kit: CatalogKit, media: Path, api: Any, seller: Seller
) -> None:
    draft = kit.product(
        seller, "Kursi tunggu 3 dudukan", category="MEBEL-KURSI", state=ProductState.DRAFT
    )
    response = api(seller.admin).upload(
        f"/api/v1/catalog/products/{draft.pk}/images",
        "image",
        "k.jpg",
        picture("JPEG", (64, 48), exif=False),
    )
    assert response.status_code == 201
    thumb_url = response.json()["thumb_url"]
    assert api(seller.admin).get(thumb_url).status_code == 200
    assert api(SATKER_USER).get(thumb_url).status_code == 404
    other = kit.seller("CV Pesaing Sebelah")
    assert api(other.admin).get(thumb_url).status_code == 404
    image_id = response.json()["id"]
    assert api(seller.admin).get(f"/api/v1/catalog/images/{image_id}/original").status_code == 404
    assert Client().get(thumb_url).status_code == 401
