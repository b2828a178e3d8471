"""Apps: the explorers served to a whole class by one process (``make classroom``).

The top layer of ``helpers``: it may import ``helpers.widgets`` and everything below; nothing
below imports it. Importing this package is cheap (no Solara, no server); the pieces are

* :mod:`helpers.apps.classroom` -- the Solara pages (intro + one page per explorer),
* :mod:`helpers.apps.server` -- the launcher (``python scripts/classroom.py``),
* :mod:`helpers.apps.guard` -- class-code protection in LAN mode (ASGI middleware),
* :mod:`helpers.apps.assets` -- the static front end kept once compressed (ASGI middleware),
* :mod:`helpers.apps.pool` -- the bounded worker pool with per-student, latest-wins queues,
* :mod:`helpers.apps.uploads` -- limits on what a student can upload.
"""

__all__: list[str] = []  # nothing to import from here: each piece is in its own module (see above)
