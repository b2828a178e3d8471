"""One module per CAM method; each defines one :class:`helpers.cam.base.CAMMethod` subclass.

Every module in this folder is imported when the method registry is first read
(:func:`helpers.cam.base.available_methods`): adding a method is adding one file here (plus its test).
"""

__all__: list[str] = []  # nothing to import from here: each method is in its own module
