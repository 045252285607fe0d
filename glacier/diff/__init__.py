"""`glacier diff`: what a change does to the pipelines, from two git revisions' source.

`revision` reads a revision from git objects (no checkout) and analyses it; `compare` turns
two analysed revisions into a `ProjectDiff`; `render` and `picture` translate it.
"""

from glacier.diff.compare import ProjectDiff, diff_snapshots
from glacier.diff.revision import WORKING_TREE, RevisionError, Snapshot, revision_snapshot

__all__ = [
    "WORKING_TREE",
    "ProjectDiff",
    "RevisionError",
    "Snapshot",
    "diff_snapshots",
    "revision_snapshot",
]
