"""The build's inputs read in the background, each input to be waited for on its own.

Oxigraph parses a file without Python's lock, so the build goes on with what does
not need every input (linking reads what it kept of unchanged files, and the facts
of new ones) while the large files are still being parsed. Oxigraph reads its files
smallest first: a new import is usually small beside the data already built, and
its graph is then in the store while the large ones are still being read. The order
changes nothing in the store (a graph's triples are listed in the same order
whichever graphs were loaded before it). rdflib parses the shapes and the ontology
in a thread of its own; their graphs go into the store after Oxigraph's files.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import inputs
from .inputs import Input, InputError

if TYPE_CHECKING:
    from .working import WorkingSet

#: roles also parsed to rdflib graphs: the validators read them as such
RDFLIB_ROLES = ("shapes", "ontology")


class Reading:
    """Every input of ``work`` being read; :meth:`wait_for` one, :meth:`wait` for all.

    If inputs cannot be read, the error raised (by :meth:`wait`, and by :meth:`wait_for`
    of an input not read) is that of the first of them in build order, as if they had
    been read one by one in that order.
    """

    def __init__(self, work: WorkingSet, base: str,
                 done: Callable[[Input], object] = lambda _item: None,
                 hashed: Callable[[Input, str], object] = lambda _item, _digest: None) -> None:
        self.work = work
        self.base = base
        self._done, self._hashed = done, hashed
        self._place = {id(item): place for place, item in enumerate(work.items)}
        self._ready = {id(item): threading.Event() for item in work.items}
        self._digested = {id(item): threading.Event() for item in work.items}
        self._read: set[int] = set()
        self._errors: list[tuple[int, InputError]] = []
        #: what went wrong otherwise in a reading thread (raised again where waited for)
        self._crash: BaseException | None = None
        self._finished = threading.Event()
        self._loaded = threading.Event()
        python = [i for i in work.items if i.role in RDFLIB_ROLES]
        self._python = threading.Thread(target=self._parse, args=(python,), name="read-rdflib",
                                        daemon=True)
        self._oxigraph = threading.Thread(target=self._load, name="read", daemon=True)
        self._python.start()
        self._oxigraph.start()

    def wait_for(self, item: Input) -> None:
        """Return once ``item`` is read: in the store, or for the shapes and the ontology,
        in ``item.graph`` (they join the store with :meth:`wait`)."""
        self._ready[id(item)].wait()
        if id(item) not in self._read:
            raise self._error()

    def wait_digested(self, item: Input) -> None:
        """Return once ``item``'s digest was announced (``hashed``), or it was read or
        not read otherwise: a file is digested just before it is parsed."""
        self._digested[id(item)].wait()

    def finished(self) -> bool:
        """Whether reading has ended, or is about to: Oxigraph has read its last file
        (what is left, adding the shapes and the ontology, takes milliseconds)."""
        return self._loaded.is_set()

    def wait(self) -> None:
        """Return once every input is read and in the store."""
        self.join()
        if self._errors or self._crash is not None:
            raise self._error()

    def join(self) -> None:
        """Return once reading has ended, whether every input could be read or not."""
        self._finished.wait()
        self._python.join()
        self._oxigraph.join()

    def _error(self) -> BaseException:
        if self._crash is not None:
            return self._crash
        return self._first_error()[1]

    def _first_error(self) -> tuple[int, InputError]:
        """The error of the first input in build order that could not be read, and its
        place."""
        return min(self._errors, key=lambda found: found[0])

    def _failed(self, item: Input, exc: InputError) -> None:
        self._errors.append((self._place[id(item)], exc))

    def _settle(self, item: Input) -> None:
        """``item`` is read: whoever waits for it goes on."""
        self._read.add(id(item))
        self._ready[id(item)].set()
        self._digested[id(item)].set()

    def _digest(self, item: Input, digest: str) -> None:
        self._hashed(item, digest)
        self._digested[id(item)].set()

    def _parse(self, items: list[Input]) -> None:
        for item in items:  # in build order: after an error, nothing later counts
            try:
                inputs.parse(item, self.base)
            except InputError as exc:
                self._failed(item, exc)
                break
            except BaseException as exc:  # raised where the reading is waited for
                self._crash = exc
                break
            self._settle(item)

    def _load(self) -> None:
        try:
            oxigraph = sorted((i for i in self.work.items if i.role not in RDFLIB_ROLES),
                              key=lambda i: (_size(i), self._place[id(i)]))
            for item in oxigraph:
                # an input after one that failed (in build order) cannot be the error
                if self._errors and self._place[id(item)] > self._first_error()[0]:
                    continue
                try:
                    self.work.parse(item, self.base, self._digest)
                except InputError as exc:
                    self._failed(item, exc)
                    continue
                self._settle(item)
                self._done(item)
            self._loaded.set()
            self._python.join()
            for item in self.work.items:
                if item.role in RDFLIB_ROLES and id(item) in self._read and not self._errors:
                    self.work.add_parsed(item)
                    self._done(item)
        except BaseException as exc:  # raised where the reading is waited for
            self._crash = exc
        finally:
            self._loaded.set()
            for event in [*self._ready.values(), *self._digested.values()]:
                event.set()  # nobody waits for what will not come
            self._finished.set()


def _size(item: Input) -> int:
    try:
        return item.path.stat().st_size
    except OSError:
        return -1  # read first: its error is found at once
