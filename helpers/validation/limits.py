"""The limits every check shares: image sides and pixels, open-size models, iteration counts."""

__all__ = ["CHANNELS", "MAX_PIXELS", "MAX_SIDE", "MAX_STEPS", "MIN_OPEN_SIDE", "TOLERANCE"]

MAX_SIDE = 4096              # largest image side / resize target, pixels
MAX_PIXELS = 50_000_000      # largest encoded picture accepted (checked before decoding)
MIN_OPEN_SIDE = 32           # smallest side fed to a model that accepts any size (5 stride-2 stages)
MAX_STEPS = 10_000           # largest iteration count (gradient-ascent steps ...)
TOLERANCE = 1e-3             # rounding error tolerated at the edges of a pixel range (then clipped)
CHANNELS = (1, 3)            # grayscale and RGB models
