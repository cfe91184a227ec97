"""The counts a release states of its data, counted while its files are written.

The triples of each graph, and the linksets, coverage figures and per-review figures
of the links report (which the VoID description repeats). They only read the
build's in-memory working store, so they run in threads beside the writing of the
dumps and the store, and while validation may still be going on.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .config import Settings
from .linking.figures import reviews
from .links.linksets import link_counts, linksets
from .links.report import Report as LinksReport
from .links.report import figures as coverage_figures
from .release.pieces import LinkCounts, Piece, Previous
from .store.oxigraph import OxigraphStore
from .working import WorkingSet


@dataclass
class Counts:
    """What the release's description and links report say of its data (``links``: each
    graph's links, kept for the next build)."""

    graphs: list[tuple[str, int]]
    links_report: LinksReport
    links: dict[str, LinkCounts]


class Counting:
    """The triples of each graph (counted at once), and the linksets, coverage figures
    and per-review figures of the data, each counted in a thread of ``pool`` (Oxigraph
    evaluates a query without Python's lock)."""

    def __init__(self, settings: Settings, work: WorkingSet, pool: ThreadPoolExecutor) -> None:
        self.graphs = sorted(work.graph_counts().items())
        #: the release's triples: each quad of the store is in one graph
        self.triples = sum(n for _, n in self.graphs)
        self.iris = settings.iris
        self.pool = pool
        # the in-memory working store answers faster than the disk store
        self.public = OxigraphStore(work.store)
        self._figures = pool.submit(coverage_figures, self.public, settings.iris)
        self._reviews = pool.submit(reviews, self.public, settings.iris)
        self._links: Future[dict[str, LinkCounts]] | None = None

    def count_links(self, graphs: list[Piece], previous: Previous | None) -> None:
        """Count the links graph by graph (no triple is in two graphs: ``deduplicate``),
        those of a graph unchanged since the published release taken from it."""
        def links() -> dict[str, LinkCounts]:
            found: dict[str, LinkCounts] = {}
            for piece in graphs:
                kept = previous.links_of(piece) if previous is not None else None
                found[piece.iri] = (kept if kept is not None
                                    else link_counts(self.public, self.iris, piece.iri))
            return found

        self._links = self.pool.submit(links)

    def result(self) -> Counts:
        """The counts (waiting for them)."""
        assert self._links is not None
        by_graph = self._links.result()
        total: Counter[tuple[str, str]] = Counter()
        for found in by_graph.values():
            total.update(found)
        links_report = LinksReport(self._figures.result(), linksets(dict(total), self.iris),
                                   self._reviews.result())
        return Counts(self.graphs, links_report, by_graph)
