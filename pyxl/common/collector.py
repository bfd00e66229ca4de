"""The cycle collector kept to what a step makes.

XlsxWriter's workbooks and python-docx's documents refer to themselves, so
only the cycle collector frees them; a step that writes hundreds of them runs
over what was loaded before it (modules, the duty table, the judgement), which
the collector would otherwise walk again at every full collection.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Within it the cycle collector walks only the objects made inside (gc.freeze), then all again.

    A report is made over what is already loaded (modules, the kept judgement:
    hundreds of thousands of objects that outlive it): each full collection the
    report's many small objects set off walked all of them again, a tenth of its
    time. Inside an outer one it freezes what was made since, and leaves all
    frozen until the outer one ends.
    """
    outermost = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        yield
    finally:
        if outermost:
            gc.unfreeze()
