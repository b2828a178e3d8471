"""load_image and image checks: formats, resize policy, and every bad input the foundation lists."""
import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

import helpers
from helpers.images import array_to_rgb_uint8, check_batch, resize


def _png_bytes(array_bgr_or_gray) -> bytes:
    ok, buf = cv2.imencode(".png", array_bgr_or_gray)
    assert ok
    return buf.tobytes()


def test_bundled_photos_load_as_uint8_rgb():
    samples = helpers.sample_images()
    assert {"chelsea", "coffee", "astronaut", "rocket", "cat_and_coffee"} <= set(samples)
    img = helpers.load_image("chelsea")
    assert img.dtype == np.uint8 and img.shape == (300, 451, 3)
    # RGB order, not OpenCV's BGR: the cat's fur is orange-brown (red > blue on average)
    assert img[..., 0].mean() > img[..., 2].mean() + 10


def test_path_bytes_and_upload_entry_agree(tmp_path):
    path = helpers.sample_images()["coffee"]
    from_path = helpers.load_image(path)
    data = path.read_bytes()
    np.testing.assert_array_equal(helpers.load_image(data), from_path)
    np.testing.assert_array_equal(helpers.load_image(memoryview(data)), from_path)
    np.testing.assert_array_equal(helpers.load_image({"name": "c.png", "content": memoryview(data)}), from_path)
    np.testing.assert_array_equal(helpers.load_image(str(path)), from_path)


def test_resize_policy_centre_crop_then_resize():
    # a wide image: left third red, middle green, right third blue -> centre square is all green
    img = np.zeros((100, 300, 3), np.uint8)
    img[:, :100, 0] = 255
    img[:, 100:200, 1] = 255
    img[:, 200:, 2] = 255
    out = helpers.load_image(img, size=50)
    assert out.shape == (50, 50, 3)
    assert (out[..., 1] == 255).all() and (out[..., [0, 2]] == 0).all()
    squashed = helpers.load_image(img, size=50, crop=False)
    assert squashed[:, 5, 0].min() == 255 and squashed[:, -5, 2].min() == 255
    assert helpers.load_image(img, size=(40, 60)).shape == (40, 60, 3)


def test_size_may_be_a_model(default_model):
    assert helpers.load_image("rocket", size=default_model).shape == (224, 224, 3)


def test_grey_rgba_palette_and_16bit_files_convert(tmp_path):
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    out = helpers.load_image(_png_bytes(grey))
    assert out.shape == (8, 8, 3) and (out[..., 0] == grey).all() and (out[..., 2] == grey).all()

    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 2] = 200  # BGRA: red channel 200
    rgba[..., 3] = 0    # fully transparent -> white
    rgba[0, 0, 3] = 255
    out = helpers.load_image(_png_bytes(rgba))
    assert tuple(out[0, 0]) == (200, 0, 0) and tuple(out[1, 1]) == (255, 255, 255)

    pal = Image.fromarray(np.array([[0, 1], [1, 0]], np.uint8), mode="P")
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    pal.save(tmp_path / "pal.png")
    out = helpers.load_image(tmp_path / "pal.png")
    assert tuple(out[0, 0]) == (255, 0, 0) and tuple(out[0, 1]) == (0, 0, 255)

    deep = np.full((3, 3), 65535, np.uint16)
    deep[0, 0] = 0
    out = helpers.load_image(_png_bytes(deep))
    assert out.dtype == np.uint8 and out[1, 1, 0] == 255 and out[0, 0, 0] == 0


def test_tiny_and_huge_images_are_resized():
    tiny = np.array([[[10, 20, 30]]], np.uint8)
    out = helpers.load_image(tiny, size=224)
    assert out.shape == (224, 224, 3) and (out == [10, 20, 30]).all()
    huge = np.zeros((10000, 8000, 3), np.uint8)
    huge[:, :, 1] = 128
    out = helpers.load_image(huge, size=224)
    assert out.shape == (224, 224, 3) and (out[..., 1] == 128).all()


def _claiming_png(width: int, height: int) -> bytes:
    """A valid small PNG whose header (IHDR) claims another size, CRC fixed: a decompression bomb."""
    data = bytearray(_png_bytes(np.zeros((2, 2), np.uint8)))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def test_pixel_limit_is_checked_from_the_header_before_decoding(tmp_path):
    for w, h in ((60000, 60000), (10000, 8000)):
        with pytest.raises(ValueError, match="megapixels"):
            helpers.load_image(_claiming_png(w, h))
    big = np.full((4000, 5000), 77, np.uint8)  # 20 megapixels: within the limit
    path = tmp_path / "big.png"
    cv2.imwrite(str(path), big)
    out = helpers.load_image(path, size=100)
    assert out.shape == (100, 100, 3) and (out == 77).all()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation):
    """Agrees with Pillow's own ImageOps.exif_transpose (an independent implementation)."""
    rgb = np.random.default_rng(orientation).integers(0, 256, (6, 10, 3), dtype=np.uint8)
    picture = Image.fromarray(rgb)
    exif = picture.getexif()
    exif[274] = orientation
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue()))).convert("RGB"))
    out = helpers.load_image(buffer.getvalue())
    np.testing.assert_array_equal(out, expected)
    assert out.shape[:2] == ((10, 6) if orientation >= 5 else (6, 10))


def test_exif_orientation_of_a_phone_jpeg_matches_opencv_colour_decoding():
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:10, :10] = (255, 0, 0)  # a red corner, top left
    picture = Image.fromarray(rgb)
    exif = picture.getexif()
    exif[274] = 6  # "rotate 90 degrees clockwise to view"
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif, quality=95)
    out = helpers.load_image(buffer.getvalue())
    reference = cv2.cvtColor(cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_COLOR),
                             cv2.COLOR_BGR2RGB)  # OpenCV applies EXIF orientation with IMREAD_COLOR
    assert out.shape == (60, 40, 3)
    assert np.abs(out.astype(int) - reference).max() <= 2
    assert out[:10, -10:, 0].mean() > 200 and out[:10, :10, 0].mean() < 50  # now top right


def test_16_bit_rgba_file_keeps_alpha_and_depth():
    bgra = np.zeros((2, 2, 4), np.uint16)
    bgra[..., 2] = 65535       # red
    bgra[..., 3] = 65535       # opaque
    bgra[1, 1, 3] = 0          # one transparent pixel -> white
    out = helpers.load_image(_png_bytes(bgra))
    assert tuple(out[0, 0]) == (255, 0, 0) and tuple(out[1, 1]) == (255, 255, 255)


def test_float_arrays_0_1_and_0_255_and_integer_types():
    a = np.full((2, 2, 3), 0.5, np.float32)
    assert (helpers.load_image(a) == 128).all()
    assert (helpers.load_image(a * 255) == 128).all()
    assert (helpers.load_image(np.full((2, 2), 200, np.int64)) == 200).all()
    assert (helpers.load_image(np.full((2, 2), 1.0 + 1e-4)) == 255).all()  # a rounding error above 1: still 0..1


@pytest.mark.parametrize("bad, match", [
    (np.full((4, 4, 3), -0.5, np.float32), "negative"),
    (np.linspace(-1, 1, 48).reshape(4, 4, 3), "preprocessed"),
    (np.full((4, 4, 3), 300.0), "0..255"),
    (np.full((4, 4), 1000, np.int32), "0..255"),
    (np.full((4, 4), -1, np.int8), "0..255"),
])
def test_out_of_range_pixels_are_refused_never_clipped(bad, match):
    with pytest.raises(ValueError, match=match):
        helpers.load_image(bad)


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nope.jpg"
    with pytest.raises(FileNotFoundError, match="nope.jpg"):
        helpers.load_image(missing)
    with pytest.raises(FileNotFoundError, match="chelsea"):  # lists the bundled photos
        helpers.load_image("no_such_picture")


def test_text_file_is_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is text, not pixels")
    with pytest.raises(ValueError, match="not an image"):
        helpers.load_image(path)
    with pytest.raises(ValueError, match="not an image"):
        helpers.load_image(b"")


def test_truncated_png_and_jpeg_are_rejected(tmp_path):
    img = helpers.load_image("coffee")
    png = _png_bytes(cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    _, jpg = cv2.imencode(".jpg", img)
    for name, data in (("cut.png", png[: len(png) // 2]), ("cut.jpg", jpg.tobytes()[: len(jpg) // 2])):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match="not an image|truncated"):
            helpers.load_image(tmp_path / name)


@pytest.mark.parametrize("bad, match", [
    (np.full((4, 4, 3), np.nan, np.float32), "NaN"),
    (np.full((4, 4, 3), np.inf, np.float32), "NaN or infinite"),
    (np.zeros((4,), np.uint8), "shape"),
    (np.zeros((2, 4, 4, 3), np.uint8), "shape"),
    (np.zeros((4, 4, 2), np.uint8), "shape"),
    (np.zeros((4, 4, 5), np.uint8), "shape"),
    (np.zeros((0, 4, 3), np.uint8), "1 x 1"),
])
def test_bad_arrays_raise_value_error(bad, match):
    with pytest.raises(ValueError, match=match):
        helpers.load_image(bad)


def test_bad_source_type_and_size():
    with pytest.raises(TypeError, match="cannot read an image"):
        helpers.load_image(12345)
    with pytest.raises(TypeError, match="size"):
        helpers.load_image("chelsea", size="big")
    with pytest.raises(ValueError, match="1..4096"):
        resize(np.zeros((4, 4, 3), np.uint8), (0, 4))
    with pytest.raises(ValueError, match="4096"):
        helpers.load_image("chelsea", size=10 ** 6)
    with pytest.raises(ValueError, match="both height and width"):
        helpers.load_image("chelsea", size=(None, 224))
    with pytest.raises(TypeError, match="crop"):
        helpers.load_image("chelsea", size=8, crop="yes")


def test_size_may_be_any_object_with_an_input_shape():
    class Spec:  # duck typing: images.py does not know about models
        input_shape = (None, 20, 30, 3)

    assert helpers.load_image("rocket", size=Spec()).shape == (20, 30, 3)
    Spec.input_shape = (None, 3, 20, 30)
    with pytest.raises(ValueError, match="channels"):
        helpers.load_image("rocket", size=Spec())


def test_check_batch_validates_and_copies():
    img = np.zeros((8, 8, 3), np.uint8)
    batch, single = check_batch(img)
    assert single and batch.shape == (1, 8, 8, 3) and batch.dtype == np.float32
    batch[...] = 5
    assert img.max() == 0  # input not mutated
    grey, single = check_batch(np.full((8, 8), 0.5))  # grey, float 0..1: the one pixel policy
    assert single and grey.shape == (1, 8, 8, 3) and np.allclose(grey, 127.5, atol=0.5)
    rgb = np.zeros((1, 2, 2, 3), np.uint8)
    rgb[..., 0] = 255
    luma, _ = check_batch(rgb, channels=1)  # for a grayscale model: ITU-R 601 luma
    assert luma.shape == (1, 2, 2, 1) and np.allclose(luma, 0.299 * 255)
    with pytest.raises(ValueError, match="RGB image"):
        check_batch(np.zeros((2, 8, 8, 2), np.uint8))
    with pytest.raises(ValueError, match="NaN"):
        check_batch(np.full((8, 8, 3), np.nan))
    with pytest.raises(ValueError, match="negative"):
        check_batch(np.full((8, 8, 3), -1.0))
    for not_an_array in ("chelsea", None):
        with pytest.raises(TypeError, match="load_image"):
            check_batch(not_an_array)


def test_array_to_rgb_handles_bool_and_single_channel():
    out = array_to_rgb_uint8(np.array([[True, False]]))
    assert out.shape == (1, 2, 3) and out[0, 0, 0] == 255 and out[0, 1, 0] == 0
    out = array_to_rgb_uint8(np.full((2, 2, 1), 9, np.uint8))
    assert out.shape == (2, 2, 3) and (out == 9).all()


# --------------------------------------------------------------------------- hostile files: checked before decoding
def _png_claiming(width: int, height: int, depth: int = 8, colour: int = 2) -> bytes:
    """A small PNG whose header claims width x height (depth bits, colour type: 2 RGB, 6 RGBA); its data
    is one zlib block of zeros, so it is a few KB whatever it claims."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(2**20), 9))
            + chunk(b"IEND", b""))


@pytest.fixture
def decodes(monkeypatch):
    """The flags of every cv2.imdecode call made while the test runs."""
    calls = []
    real = cv2.imdecode

    def spy(buffer, flags):
        calls.append(flags)
        return real(buffer, flags)

    monkeypatch.setattr(cv2, "imdecode", spy)
    return calls


def test_a_16_bit_rgba_png_bomb_is_refused_from_its_header_without_decoding(decodes):
    import tracemalloc

    bomb = _png_claiming(7000, 7000, depth=16, colour=6)  # 49 megapixels, under MAX_PIXELS: 392 MB decoded
    assert len(bomb) < 10_000 and 7000 * 7000 <= helpers.validation.MAX_PIXELS
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"7000 x 7000 pixels with 4 channels of 16 bits: 392 MB") as refused:
            helpers.load_image(bomb, size=224)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert decodes == [] and peak < 5e6
    assert "150 MB" in str(refused.value) and "Save a smaller copy" in str(refused.value)


def test_the_decode_budget_admits_every_8_bit_rgb_photo_within_the_pixel_limit():
    from helpers.images import check_decode_budget, read_header

    side_w, side_h = 8660, 5773  # 49.99 megapixels
    assert side_w * side_h <= helpers.validation.MAX_PIXELS
    assert check_decode_budget(read_header(_png_claiming(side_w, side_h))) == side_w * side_h * 3
    for depth, colour, what in ((16, 2, "3 channels of 16 bits"), (8, 6, "4 channels of 8 bits")):
        with pytest.raises(ValueError, match=what):
            check_decode_budget(read_header(_png_claiming(side_w, side_h, depth, colour)))
    assert check_decode_budget(read_header(_png_claiming(4000, 3000, 16, 6))) == 4000 * 3000 * 8  # a 16-bit scan


def _pillow_file(mode: str, fmt: str, **save) -> bytes:
    picture = Image.new("RGB", (7, 5), (40, 80, 120)).convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **save)
    return buffer.getvalue()


def _opencv_file(ext: str, dtype, channels: int) -> bytes:
    shape = (5, 7) if channels == 1 else (5, 7, channels)
    return cv2.imencode(ext, np.random.default_rng(channels).integers(0, 200, shape).astype(dtype))[1].tobytes()


_FILES = {f"{ext} {dtype.__name__} x{channels}": _opencv_file(ext, dtype, channels)
          for ext in (".png", ".tif") for dtype in (np.uint8, np.uint16) for channels in (1, 3, 4)}
_FILES.update({
    "16-bit PPM": cv2.imencode(".ppm", np.full((5, 7, 3), 60000, np.uint16))[1].tobytes(),
    "16-bit PGM": cv2.imencode(".pgm", np.full((5, 7), 60000, np.uint16))[1].tobytes(),
    "float TIFF": cv2.imencode(".tif", np.full((5, 7), 0.5, np.float32))[1].tobytes(),
    "BMP": cv2.imencode(".bmp", np.zeros((5, 7, 3), np.uint8))[1].tobytes(),
    "WebP": cv2.imencode(".webp", np.zeros((5, 7, 3), np.uint8))[1].tobytes(),
    "WebP RGBA": _pillow_file("RGBA", "WEBP", lossless=True),
    "grey + alpha PNG": _pillow_file("LA", "PNG"),
    "palette PNG with transparency": _pillow_file("P", "PNG", transparency=0),
    "CMYK JPEG": _pillow_file("CMYK", "JPEG"),
    "grey JPEG": _pillow_file("L", "JPEG"),
    "32-bit integer TIFF": _pillow_file("I", "TIFF"),
    "PFM": _pillow_file("F", "PPM"),
})


@pytest.mark.parametrize("name", sorted(_FILES))
def test_the_header_bounds_what_opencv_decodes(name):
    """The budget is checked on the header's estimate: it must never be below what OpenCV then allocates."""
    from helpers.images import decode_bytes, read_header

    data = _FILES[name]
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    estimate = decode_bytes(read_header(data))
    assert decoded.nbytes <= estimate <= 4 * decoded.nbytes
    if name.startswith((".png", ".tif")):
        assert estimate == decoded.nbytes  # exact for the common files: channels and bit depth from the header


def test_progressive_jpeg_coefficients_count_in_the_budget():
    from helpers.images import read_header

    picture = Image.new("RGB", (160, 96), (10, 200, 30))
    baseline, progressive = io.BytesIO(), io.BytesIO()
    picture.save(baseline, "JPEG")
    picture.save(progressive, "JPEG", progressive=True)  # 4:2:0: 1.5 samples a pixel, 2 bytes each
    assert read_header(baseline.getvalue()).buffer_bytes == 0
    assert read_header(progressive.getvalue()).buffer_bytes == 2 * 160 * 96 * 3 // 2


def test_a_radiance_hdr_file_is_refused_before_decoding(decodes):
    hdr = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 7000 +X 9000\n" + bytes(4096)  # 63 megapixels of float RGB
    with pytest.raises(ValueError, match="not an image in a format whose header can be checked") as refused:
        helpers.load_image(hdr)
    assert decodes == [] and "JPEG, PNG" in str(refused.value)


def test_bmp_and_tiff_load_by_default_and_are_refused_where_formats_are_restricted(decodes):
    rgb = np.random.default_rng(2).integers(0, 256, (6, 9, 3), dtype=np.uint8)
    bmp = cv2.imencode(".bmp", rgb[..., ::-1])[1].tobytes()
    tiff = cv2.imencode(".tif", rgb[..., ::-1])[1].tobytes()
    for data, name in ((bmp, "BMP"), (tiff, "TIFF")):
        np.testing.assert_array_equal(helpers.load_image(data), rgb)
        decodes.clear()
        with pytest.raises(ValueError, match=f"is a {name} picture; the formats accepted here are JPEG, PNG, WEBP"):
            helpers.load_image(data, formats=("JPEG", "PNG", "WEBP"))
        assert decodes == []
        np.testing.assert_array_equal(helpers.load_image(data, formats=name.lower()), rgb)
    gif = _pillow_file("P", "GIF")  # OpenCV decodes GIFs, but its decoder's memory is not bounded by the header
    with pytest.raises(ValueError, match="is a GIF picture; the formats accepted here are BMP, JPEG, PNG, PPM, TIFF"):
        helpers.load_image(gif)


@pytest.mark.parametrize("formats, error, match", [
    (("JPEG", "GIF"), ValueError, "unknown image format 'GIF'; choose one of 'BMP', 'JPEG', 'PNG'"),
    ("jpge", ValueError, "'JPEG'"),
    ((), ValueError, "empty"),
    (5, TypeError, "formats must be None, a format name or a list"),
    ([b"PNG"], TypeError, "names such as 'PNG'"),
])
def test_bad_formats_name_the_choices(formats, error, match):
    with pytest.raises(error, match=match):
        helpers.load_image("chelsea", formats=formats)


def test_formats_are_names_in_any_case_with_the_usual_endings():
    from helpers.images import IMAGE_FORMATS, check_formats

    assert check_formats(None) == IMAGE_FORMATS
    assert check_formats(("jpg", "Tif", "png", "JPEG")) == ("JPEG", "TIFF", "PNG")
    assert helpers.load_image("rocket", size=8, formats="JPG").shape == (8, 8, 3)


# --------------------------------------------------------------------------- JPEG stream end (motion photos)
def _segment(code: int, payload: bytes) -> bytes:
    return bytes([0xFF, code]) + struct.pack(">H", len(payload) + 2) + payload


SOI, EOI = b"\xff\xd8", b"\xff\xd9"
HEAD = _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00") + _segment(0xDB, bytes(65)) + _segment(
    0xC0, b"\x08\x00\x10\x00\x10\x01\x01\x11\x00") + _segment(0xC4, bytes(29))
SCAN = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x12\x34\xff\x00\x56\xff\xd0\x78\xff\xd7\x9a"  # FF00, RST0, RST7


def test_jpeg_end_walks_the_segments_of_hand_built_streams():
    from helpers.images import jpeg_end

    baseline = SOI + HEAD + SCAN + EOI
    assert jpeg_end(baseline) == len(baseline)
    progressive = SOI + HEAD.replace(b"\xff\xc0", b"\xff\xc2") + SCAN + _segment(0xC4, bytes(20)) + SCAN + SCAN + EOI
    assert jpeg_end(progressive) == len(progressive)
    trailing = b"\x00\x00\x00\x18ftypmp42" + b"\xff\xd9" * 3 + bytes(100)  # an MP4 after the picture
    assert jpeg_end(baseline + trailing) == len(baseline)
    thumbnail = _segment(0xE1, b"Exif\x00\x00" + SOI + SCAN + EOI)  # an EXIF thumbnail: a JPEG inside APP1
    assert jpeg_end(SOI + thumbnail + HEAD + SCAN + EOI) == len(SOI + thumbnail + HEAD + SCAN + EOI)
    fill = SOI + b"\xff\xff" + HEAD + SCAN + b"\xff\xff" + EOI  # fill bytes (0xFF) before markers
    assert jpeg_end(fill) == len(fill)
    for truncated in (SOI + HEAD + SCAN,                       # the scan never reaches EOI
                      SOI + HEAD + SCAN[:-3],                  # cut inside the entropy-coded data
                      SOI + HEAD[:30],                         # cut inside a segment (its length runs past the end)
                      SOI + HEAD + SCAN + b"\xff",             # a lone 0xFF at the end
                      b"\x89PNG\r\n\x1a\n", b""):
        assert jpeg_end(truncated) is None, truncated[-8:]


def test_real_encoders_streams_end_at_their_last_byte():
    from helpers.images import jpeg_end

    rgb = np.random.default_rng(3).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    for data in (cv2.imencode(".jpg", rgb)[1].tobytes(), _pillow_file("RGB", "JPEG", progressive=True),
                 _pillow_file("RGB", "JPEG", quality=95, exif=Image.Exif())):
        assert jpeg_end(data) == len(data)


def test_a_motion_photo_loads_as_its_picture_and_a_truncated_jpeg_is_still_refused():
    rgb = np.random.default_rng(4).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    jpeg = cv2.imencode(".jpg", rgb)[1].tobytes()
    motion = jpeg + b"\x00\x00\x00\x18ftypmp42" + np.random.default_rng(5).bytes(50_000)
    np.testing.assert_array_equal(helpers.load_image(motion), helpers.load_image(jpeg))
    for cut in (len(jpeg) // 2, len(jpeg) - 2):
        with pytest.raises(ValueError, match="truncated JPEG"):
            helpers.load_image(jpeg[:cut])
    mpo = io.BytesIO()  # an MPO (Pillow's name for a JPEG followed by more pictures) reads as its first picture
    Image.fromarray(rgb).save(mpo, "MPO", save_all=True, append_images=[Image.fromarray(rgb[::-1])])
    first = io.BytesIO()
    Image.fromarray(rgb).save(first, "JPEG")
    np.testing.assert_array_equal(helpers.load_image(mpo.getvalue(), formats="JPEG"),
                                  helpers.load_image(first.getvalue()))


# --------------------------------------------------------------------------- exact, small working copies
def test_16_bit_and_alpha_conversions_equal_the_float_formulas_exactly():
    from helpers.images import over_white, uint16_to_uint8
    from helpers.validation import to_uint8

    every = np.arange(65536, dtype=np.uint16)
    np.testing.assert_array_equal(uint16_to_uint8(every), to_uint8(every))  # float32 round(v / 257)
    c, a = (m.astype(np.uint8) for m in np.meshgrid(np.arange(256), np.arange(256)))
    rgba = np.stack([c, c, c, a], axis=-1)
    alpha = a[..., None].astype(np.float32) / 255.0  # the float compositing load_image used to do
    expected = (rgba[..., :3] * alpha + 255.0 * (1 - alpha)).round().astype(np.uint8)
    np.testing.assert_array_equal(over_white(rgba), expected)


def test_conversions_in_blocks_of_rows_equal_one_block(monkeypatch):
    from helpers.images import pixels

    rgba16 = np.random.default_rng(6).integers(0, 65536, (23, 17, 4), dtype=np.uint16)
    whole = array_to_rgb_uint8(rgba16)
    monkeypatch.setattr(pixels, "_BLOCK_PIXELS", 40)  # 2 rows a block, the last one short
    np.testing.assert_array_equal(array_to_rgb_uint8(rgba16), whole)
    np.testing.assert_array_equal(array_to_rgb_uint8(np.rot90(rgba16)), np.rot90(whole))  # a strided view


def test_a_16_bit_png_of_normal_size_loads_exactly():
    rgb16 = np.random.default_rng(7).integers(0, 65536, (30, 41, 3), dtype=np.uint16)
    out = helpers.load_image(_png_bytes(rgb16[..., ::-1]))
    np.testing.assert_array_equal(out, np.round(rgb16 / 257.0).astype(np.uint8))
    rgba16 = np.concatenate([rgb16, np.full((30, 41, 1), 65535, np.uint16)], axis=2)
    rgba16[0, 0, 3] = 0
    out = helpers.load_image(_png_bytes(rgba16[..., [2, 1, 0, 3]]))
    assert tuple(out[0, 0]) == (255, 255, 255)
    np.testing.assert_array_equal(out[1:], np.round(rgb16[1:] / 257.0).astype(np.uint8))


# --------------------------------------------------------------------------- large JPEGs at reduced size
def test_the_jpeg_reduction_keeps_twice_the_target_size():
    from helpers.images import jpeg_reduction

    rng = np.random.default_rng(8)
    for h, w, th, tw in rng.integers(1, 5000, (2000, 4)):
        f = jpeg_reduction(h, w, (th, tw))
        assert f in (1, 2, 4, 8)
        if f > 1:  # libjpeg's ceil(h / f) x ceil(w / f) keeps twice the target across the picture (crop=False)
            assert h / f >= 2 * th and w / f >= 2 * tw  # and the centre crop, whose sides are min(h/th, w/tw) x target
        if f < 8:
            assert min(h / th, w / tw) < 2 * 2 * f  # the largest scale-down that does


def _big_photo(orientation: int = 1) -> tuple[bytes, np.ndarray]:
    """A 1600 x 2400 JPEG of the cat (smooth, like a photo), with an EXIF orientation; and its pixels."""
    big = cv2.resize(helpers.load_image("chelsea"), (2400, 1600), interpolation=cv2.INTER_CUBIC)
    big[:200, :200] = (255, 0, 0)  # a red corner, top left as stored
    picture = Image.fromarray(big)
    exif = picture.getexif()
    exif[274] = orientation
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue(), big


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_large_jpeg_is_decoded_at_reduced_size_and_stays_close_and_upright(decodes, orientation):
    data, _ = _big_photo(orientation)
    decodes.clear()
    full = helpers.load_image(data)  # the full decode
    assert full.shape[:2] == ((2400, 1600) if orientation == 6 else (1600, 2400))
    assert decodes == [cv2.IMREAD_UNCHANGED]
    # the scale-down that keeps twice the target across the upright picture: 1600 x 2400, or 2400 x 1600 when rotated
    for size, scales in ((224, (2, 2)), ((150, 100), (4, 8)), (64, (8, 8)), (1000, (1, 1))):
        scale = scales[orientation == 6]
        decodes.clear()
        reduced = helpers.load_image(data, size=size)
        expected_flag = {1: cv2.IMREAD_UNCHANGED, 2: cv2.IMREAD_REDUCED_COLOR_2 | cv2.IMREAD_IGNORE_ORIENTATION,
                         4: cv2.IMREAD_REDUCED_COLOR_4 | cv2.IMREAD_IGNORE_ORIENTATION,
                         8: cv2.IMREAD_REDUCED_COLOR_8 | cv2.IMREAD_IGNORE_ORIENTATION}[scale]
        assert decodes == [expected_flag], (size, decodes)
        reference = resize(full, size if isinstance(size, tuple) else (size, size))
        assert reduced.shape == reference.shape
        assert np.abs(reduced.astype(int) - reference).mean() < 3  # a few grey levels
    corner = helpers.load_image(data, size=(150, 100), crop=False)  # the red corner, where EXIF puts it
    red = corner[:10, -10:] if orientation == 6 else corner[:10, :10]
    assert red[..., 0].mean() > 200 and red[..., 1].mean() < 60


def test_an_80_megapixel_phone_jpeg_loads_at_reduced_size_when_a_size_is_given(decodes):
    """A phone photo over the 50-megapixel limit: with a size it is decoded at 1/8 scale (10 MB, not
    240 MB); without one, or under a hard ``max_pixels`` (the classroom's), it is refused with the fix."""
    h, w = 8000, 10000
    ramp = np.linspace(0, 255, w, dtype=np.float32)
    picture = np.empty((h, w, 3), np.uint8)
    picture[..., 0] = ramp.astype(np.uint8)  # red grows left to right: the reduced decode must keep it
    picture[..., 1] = 80
    picture[..., 2] = 255 - ramp.astype(np.uint8)
    ok, data = cv2.imencode(".jpg", picture[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 80])
    del picture
    data = data.tobytes()
    decodes.clear()
    small = helpers.load_image(data, size=224, crop=False)
    assert decodes == [cv2.IMREAD_REDUCED_COLOR_8 | cv2.IMREAD_IGNORE_ORIENTATION]
    assert small.shape == (224, 224, 3)
    np.testing.assert_allclose(small[112, :, 0], np.linspace(0, 255, 224), atol=6)  # the same picture
    decodes.clear()
    with pytest.raises(ValueError, match=r"10000 x 8000 pixels \(80 megapixels\).*pass a size"):
        helpers.load_image(data)
    with pytest.raises(ValueError, match="over the limit of 50 megapixels"):
        helpers.load_image(data, size=224, max_pixels=50_000_000)
    assert decodes == []  # refused from the header: nothing decoded


def test_only_a_jpeg_may_exceed_the_pixel_limit_and_only_up_to_its_own_limit(monkeypatch, decodes):
    from helpers.images import decoding

    monkeypatch.setattr(decoding, "MAX_PIXELS", 1_000_000)        # scaled down: a 3.8 MP photo is "too large"
    monkeypatch.setattr(decoding, "MAX_REDUCED_PIXELS", 3_000_000)
    data, _ = _big_photo()                                          # 1600 x 2400 = 3.84 MP
    with pytest.raises(ValueError, match="over the limit of 3 megapixels"):
        helpers.load_image(data, size=224)                          # over even the reduced-decode limit
    monkeypatch.setattr(decoding, "MAX_REDUCED_PIXELS", 5_000_000)
    assert helpers.load_image(data, size=224).shape == (224, 224, 3)  # 1/2 scale: 0.96 MP
    with pytest.raises(ValueError, match="pass a size"):
        helpers.load_image(data, size=1000)                         # no reduction possible: full size refused
    png = cv2.imencode(".png", cv2.resize(helpers.load_image("chelsea"), (2400, 1600)))[1].tobytes()
    decodes.clear()
    with pytest.raises(ValueError, match="only a JPEG can be decoded at reduced size"):
        helpers.load_image(png, size=224)
    assert decodes == []
    with pytest.raises(TypeError, match="max_pixels"):
        helpers.load_image(data, size=224, max_pixels="many")
