"""The README's "Use the package" example runs as written and its comments tell the truth."""
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def test_readme_package_example_runs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use the package", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["maps"]["stem_conv"].shape == (112, 112, 32)
    assert namespace["patterns"].shape == (8, 128, 128, 3) and namespace["patterns"].dtype == np.uint8
    heat = namespace["heat"]
    assert heat.shape == (224, 224) and heat.dtype == np.float32 and 0 <= heat.min() and heat.max() <= 1
    assert namespace["picture"].dtype == np.uint8
    top = namespace["helpers"].predict(namespace["model"], namespace["image"], top=3)
    assert "Egyptian cat" in code and top[0][1] == "Egyptian cat" and top[1][1] == "tiger cat"
