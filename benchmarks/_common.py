"""Shared by the benchmark scripts: time a notebook top to bottom with the main job's runner."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from run_notebooks import execute  # noqa: E402


def notebook_wall_time(name: str, target_s: float) -> float:
    """Execute ``notebooks/<name>`` headless (nbclient, kernel start included); print and return seconds."""
    _, seconds, error = execute(ROOT / "notebooks" / name)
    verdict = "FAILED: " + error if error else ("OK" if seconds <= target_s else "MISSED")
    print(f"notebook {name} top to bottom (nbclient, incl. kernel start): {seconds:5.1f} s "
          f"(target <= {target_s:.0f} s) {verdict}")
    return seconds
