"""The dask engine: blocks of families searched on a dask.distributed cluster.

The encoded remains are scattered once to every worker; each task builds one block's
tables and searches it (:func:`mpid.matching.search.search_family_block`), so results are
identical to the local engine. Pass a ``Client`` or a scheduler address; without one a
``LocalCluster`` is started for the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mpid.genetics.markers import Marker

from .search import Candidate, EncodedRemains, SearchSettings, search_family_block
from .tables import FamilyInput

__all__ = ["DaskEngine"]


class DaskEngine:
    """Run blocks as dask.distributed tasks."""

    def __init__(self, client: object | None = None, address: str | None = None, n_workers: int | None = None):
        self._client = client
        self._address = address
        self._n_workers = n_workers

    def map_blocks(
        self,
        blocks: Sequence[Sequence[FamilyInput]],
        markers: Sequence[Marker],
        enc: EncodedRemains,
        settings: SearchSettings,
        prior: float,
        progress: Callable[[int], None] | None = None,
    ) -> list[list[Candidate]]:
        """Submit one task per block and gather results in block order."""
        from dask.distributed import Client, LocalCluster, as_completed

        own = None
        client = self._client
        if client is None:
            if self._address:
                client = own = Client(self._address)
            else:
                cluster = LocalCluster(n_workers=self._n_workers or 2, threads_per_worker=1, processes=True)
                client = own = Client(cluster)
        try:
            enc_f = client.scatter(enc, broadcast=True)
            markers_f = client.scatter(list(markers), broadcast=True)
            futures = [
                client.submit(search_family_block, list(b), markers_f, enc_f, settings, prior, pure=False)
                for b in blocks
            ]
            index = {f.key: k for k, f in enumerate(futures)}
            out: list[list[Candidate]] = [[] for _ in blocks]
            for fut in as_completed(futures):
                k = index[fut.key]
                out[k] = fut.result()
                if progress is not None:
                    progress(len(blocks[k]))
            return out
        finally:
            if own is not None:
                cluster = getattr(own, "cluster", None)
                own.close()
                if cluster is not None:
                    cluster.close()
