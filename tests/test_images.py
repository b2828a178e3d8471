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
    ok, jpg = cv2.imencode(".jpg", img)
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
