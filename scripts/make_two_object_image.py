"""Compose data/images/cat_and_coffee.png: the CC0 cat (left) and the CC0 espresso (right).

A square picture with one object per half, for the Grad-CAM lesson on class discrimination
("tiger cat" should light up the left half, "espresso" the right). Each photo is cropped to a
square around its subject and narrowed to half width, as a model sees any photo that is
squashed to 224 x 224. Run once: ``python scripts/make_two_object_image.py``.
"""
from pathlib import Path

import cv2
import numpy as np

IMAGES = Path(__file__).resolve().parents[1] / "data" / "images"


def main() -> None:
    cat = cv2.imread(str(IMAGES / "chelsea.png"))    # 451 x 300, the face fills the middle
    coffee = cv2.imread(str(IMAGES / "coffee.png"))  # 600 x 400, cup and saucer left of centre
    left = cv2.resize(cat[:, 60:360], (224, 448), interpolation=cv2.INTER_AREA)
    right = cv2.resize(coffee[:, 70:490], (224, 448), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(IMAGES / "cat_and_coffee.png"), np.concatenate([left, right], axis=1))


if __name__ == "__main__":
    main()
