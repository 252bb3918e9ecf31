"""Screening posters: uploaded by organizers, checked, resized, and served with long caching."""
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from pages import errors
from test_events_admin import admin, post  # noqa: F401  (the logged-in admin fixture)
from ticketing.extensions import db
from ticketing.models import AuditEntry, Screening
from ticketing.services import pictures

NAME = re.compile(r"1-[0-9a-f]{16}\.jpg")


def image_bytes(size=(1600, 2400), mode="RGB", fmt="PNG", color=(200, 30, 30), **save):
    out = io.BytesIO()
    Image.new(mode, size, color if mode != "1" else 0).save(out, fmt, **save)
    return out.getvalue()


def upload(client, screening_id, data, filename="poster.png"):
    return client.post(f"/admin/screenings/{screening_id}/poster", content_type="multipart/form-data",
                       data={"csrf_token": client.csrf, "poster": (io.BytesIO(data), filename),
                             "upload": "Upload the poster"})


def stored_poster(app, screening_id):
    with app.app_context():
        return db.session.get(Screening, screening_id).poster


def poster_files(app):
    folder = Path(app.instance_path) / "posters"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_png_is_stored_as_a_resized_jpeg(app, admin, make_screening):
    screening_id = make_screening()
    response = upload(admin, screening_id, image_bytes((1600, 2400)))
    assert response.status_code == 303
    name = stored_poster(app, screening_id)
    assert NAME.fullmatch(name) and poster_files(app) == [name]
    served = admin.get(f"/posters/{name}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    assert (image.format, image.size, image.mode) == ("JPEG", (800, 1200), "RGB")


def test_a_wide_image_is_fitted_into_the_box(app, admin, make_screening):
    screening_id = make_screening()
    upload(admin, screening_id, image_bytes((3000, 1000)))
    assert Image.open(Path(app.instance_path) / "posters" / stored_poster(app, screening_id)).size == (800, 267)


def test_the_exif_orientation_is_applied(app, admin, make_screening):
    screening_id = make_screening()
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90 degrees clockwise to show
    data = image_bytes((300, 200), fmt="JPEG", exif=exif.tobytes())
    assert upload(admin, screening_id, data, "photo.jpg").status_code == 303
    path = Path(app.instance_path) / "posters" / stored_poster(app, screening_id)
    assert Image.open(path).size == (200, 300)


def test_a_transparent_png_becomes_white_not_black(app, admin, make_screening):
    screening_id = make_screening()
    upload(admin, screening_id, image_bytes((100, 100), mode="RGBA", color=(0, 0, 0, 0)))
    path = Path(app.instance_path) / "posters" / stored_poster(app, screening_id)
    assert min(Image.open(path).getpixel((50, 50))) > 240


@pytest.mark.parametrize("data,message", [
    (b"Just some text, not a picture at all.\n" * 20, "not an image we can read"),
    (image_bytes((400, 600))[:300], "not an image we can read"),  # truncated
    (b"%PDF-1.4\n" + b"0" * 500, "not an image we can read"),
    (image_bytes((40, 40), fmt="BMP"), "not an image we can read"),  # a format we do not take
    (b"", "Choose an image file"),
], ids=["text", "truncated", "pdf", "bmp", "empty"])
def test_a_file_that_is_not_a_usable_image_is_refused_with_a_message(app, admin, make_screening, data, message):
    screening_id = make_screening()
    response = upload(admin, screening_id, data)
    assert response.status_code == 422
    assert message in errors(response.get_data(as_text=True))["poster"]
    assert stored_poster(app, screening_id) == "" and poster_files(app) == []


@pytest.mark.parametrize("size", [(7000, 7000), (12000, 12000)], ids=["over-our-limit", "pillow-bomb"])
def test_a_decompression_bomb_is_refused(app, admin, make_screening, size):
    screening_id = make_screening()
    data = image_bytes(size, mode="1")  # a few kilobytes that unpack to tens of millions of pixels
    assert len(data) < 1024 * 1024
    response = upload(admin, screening_id, data)
    assert response.status_code == 422
    assert "too many pixels" in errors(response.get_data(as_text=True))["poster"]
    assert stored_poster(app, screening_id) == ""


def test_a_file_just_over_the_limit_is_refused_with_a_message(app, admin, make_screening):
    screening_id = make_screening()
    response = upload(admin, screening_id, b"\x89PNG" + b"\0" * pictures.MAX_BYTES)
    assert response.status_code == 422
    assert "larger than 10 MB" in errors(response.get_data(as_text=True))["poster"]
    assert poster_files(app) == []


def test_a_huge_upload_is_refused_before_it_is_read(app, admin, make_screening):
    screening_id = make_screening()
    response = upload(admin, screening_id, b"\0" * (12 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than 10 MB" in response.get_data(as_text=True)
    assert stored_poster(app, screening_id) == ""


def test_a_new_poster_replaces_the_old_file(app, admin, make_screening):
    screening_id = make_screening()
    upload(admin, screening_id, image_bytes(color=(10, 10, 200)))
    first = stored_poster(app, screening_id)
    upload(admin, screening_id, image_bytes(color=(10, 200, 10)))
    second = stored_poster(app, screening_id)
    assert first != second and poster_files(app) == [second]


def test_removing_the_poster_deletes_its_file(app, admin, make_screening):
    screening_id = make_screening()
    upload(admin, screening_id, image_bytes())
    response = post(admin, f"/admin/screenings/{screening_id}/poster", remove="Remove the poster")
    assert response.status_code == 303 and stored_poster(app, screening_id) == "" and poster_files(app) == []


def test_poster_changes_are_audited(app, admin, make_screening):
    screening_id = make_screening()
    upload(admin, screening_id, image_bytes())
    post(admin, f"/admin/screenings/{screening_id}/poster", remove="Remove the poster")
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject_type == "screenings")).all()
    assert actions == ["screening.poster", "screening.poster_remove"]


def test_the_poster_is_cached_for_a_year_and_revalidated_by_etag(app, admin, client, make_screening):
    screening_id = make_screening()
    upload(admin, screening_id, image_bytes())
    url = f"/posters/{stored_poster(app, screening_id)}"
    first = client.get(url)
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_the_public_pages_show_the_poster_with_alt_text_and_size(app, admin, client, make_screening):
    screening_id = make_screening(title="Myn Bala")
    upload(admin, screening_id, image_bytes((1600, 2400)))
    name = stored_poster(app, screening_id)
    screening_page = client.get(f"/screenings/{screening_id}").get_data(as_text=True)
    event_page = client.get("/e/fest").get_data(as_text=True)
    tag = re.search(r"<img[^>]*>", screening_page).group(0)
    assert f'src="/posters/{name}"' in tag and 'alt="Poster of Myn Bala"' in tag
    assert 'width="800"' in tag and 'height="1200"' in tag
    assert 'loading="lazy"' in re.search(r"<img[^>]*>", event_page).group(0)


@pytest.mark.parametrize("path", [
    "/posters/1-0000000000000000.jpg",  # well formed, but no such file
    "/posters/1-ABCDEF0000000000.jpg",
    "/posters/poster.jpg",
    "/posters/..%2Fsecret_key",
    "/posters/%2e%2e%2fsecret_key",
    "/posters/../secret_key",
    "/posters/1-0000000000000000.jpg%00.png",
])
def test_unknown_or_malformed_poster_names_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_a_poster_for_an_unknown_screening_is_not_found(admin):
    assert upload(admin, 999, image_bytes((10, 10))).status_code == 404


def test_the_demo_films_get_posters_drawn_when_the_demo_is_loaded(app):
    from ticketing.demo import load_demo

    with app.app_context():
        event = load_demo()
        shown = [(s.title, s.poster) for s in event.screenings]
        sizes = [pictures.picture_size(name) for _title, name in shown]
        images = [Image.open(pictures.picture_path(name)) for _title, name in shown]
    assert len(shown) == 3 and all(name for _title, name in shown)
    assert all(size and size[1] > size[0] for size in sizes)  # portrait, as a poster is
    assert all(image.format == "JPEG" for image in images)  # stored as uploads are: checked and resized
    baqyt = [image.tobytes() for (title, _name), image in zip(shown, images) if title == "Baqyt Qushağynda"]
    myn_bala = [image.tobytes() for (title, _name), image in zip(shown, images) if title != "Baqyt Qushağynda"]
    assert len(baqyt) == 2 and baqyt[0] == baqyt[1] != myn_bala[0]  # one poster per film
