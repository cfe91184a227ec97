"""What the SHACL shapes read besides a focus node's own triples, for a partial validation.

:func:`analyse` walks every shape with a target and accepts only what it knows stays
within a focus node's *context* (see :mod:`uprgraph.validation_cache`): core
constraints on the node and on its values (``sh:class`` reads a value's
``rdf:type``), one-step paths (an inverse path reads into the node), logical
constraints over such shapes, and SPARQL queries listed in :data:`KNOWN_QUERIES`
after a person read them. Anything else raises :class:`Unsupported`, and the build
validates everything.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

#: the SPARQL queries of shapes/ read and found to stay within a focus node's context
#: (its triples, its values' triples, the named IRIs): SHA-256 (16 hex digits) of the
#: query with its whitespace collapsed -> the parameters whose values are predicates
#: the query follows INTO the focus node (reading also those subjects' rdf:type)
KNOWN_QUERIES: dict[str, tuple[str, ...]] = {
    "a0d7f4966dbbb075": (),  # ResponseSum: the focus node's three counts
    "ae1c3f3228ca019a": ("listedVia",),  # ListedWithinTotal: ?rec a $listedClass ; $listedVia $this
    "9ce7c5760ea59c40": (),  # PartWithinWhole: the whole (a value) and its count
    "56e5579777be166e": (),  # PublicCitesDatedSource: the sources (values), issued, publisher
    "0b47720e09d48610": (),  # NoPublicFromRestricted: the sources' access level
    "7bef2bc44aa74a97": (),  # SubResource: the values' IRIs
    "7df35a4d1d054014": (),  # ConceptShape target: type and IRI
    "e70b740dfc36568f": (),  # ConceptSchemeShape target: type and IRI
    "d5f3cbf0eb4148b6": (),  # SdgLink-sdgInKos: values' skos:inScheme, the SDG scheme (named)
    "17714cf56793dc18": (),  # SdgMapping pattern: values' IRIs
    "f38c058c3945268f": (),  # SdgMapping in the KOS: values' skos:inScheme, the SDG scheme
    "7b8f5d4a12bae486": (),  # SameAs: values' IRIs
    "9cc28ac39438d66c": (),  # UNDocument-symbolPage: the focus node's symbol and page
}
#: parameters of core components that read the value nodes themselves, nothing beyond
_VALUE_LOCAL = {SH[n] for n in (
    "datatype nodeKind pattern flags in hasValue languageIn minInclusive maxInclusive "
    "minExclusive maxExclusive minLength maxLength closed ignoredProperties").split()}
#: property-level parameters: counts and comparisons of the focus node's own values
_PROPERTY_LOCAL = {SH[n] for n in
                   "minCount maxCount uniqueLang equals disjoint lessThan lessThanOrEquals".split()}
_INERT = {SH[n] for n in (
    "message severity name description deactivated order group defaultValue targetClass "
    "targetSubjectsOf targetObjectsOf targetNode path").split()}
_QUERY_IRI = re.compile(r"<([^<>\s]+)>")


class Unsupported(ValueError):
    """The shapes read beyond a focus node's context: only full validation is sound."""


@dataclass
class Scope:
    """What the shapes read besides a focus node's own and its values' triples."""

    #: predicates read into the focus node
    incoming: set[str] = field(default_factory=set)
    #: the targets of the shapes that read them, as (target predicate, IRI); None: any node
    in_targets: list[tuple[URIRef, str]] | None = field(default_factory=list)
    #: IRIs the SPARQL queries name
    named: set[str] = field(default_factory=set)


def _query_text(text: Node) -> str:
    return " ".join(str(text).split())


def _check_query(text: Node, where: Node, scope: Scope) -> tuple[str, ...]:
    digest = hashlib.sha256(_query_text(text).encode()).hexdigest()[:16]
    if digest not in KNOWN_QUERIES:
        raise Unsupported(f"{where}: SPARQL query {digest} is not in KNOWN_QUERIES")
    scope.named.update(_QUERY_IRI.findall(str(text)))
    return KNOWN_QUERIES[digest]


def analyse(shapes: Graph) -> Scope:
    """The :class:`Scope` of ``shapes``; :class:`Unsupported` if a shape reads further."""
    scope = Scope()
    #: parameter predicate -> its component; component -> its queries and parameters
    component_of: dict[Node, Node] = {}
    queries: dict[Node, list[Node]] = {}
    parameters: dict[Node, dict[str, Node]] = {}
    for component in shapes.subjects(RDF.type, SH.ConstraintComponent):
        queries[component] = [
            q for kind in (SH.validator, SH.nodeValidator, SH.propertyValidator)
            for v in shapes.objects(component, kind)
            for q in (*shapes.objects(v, SH.select), *shapes.objects(v, SH.ask))]
        parameters[component] = {}
        for parameter in shapes.objects(component, SH.parameter):
            path = shapes.value(parameter, SH.path)
            component_of[path] = component
            parameters[component][str(path).rsplit("#", 1)[-1].rsplit("/", 1)[-1]] = path

    def in_reader(top: Node, predicate: Node) -> None:
        if not isinstance(predicate, URIRef):
            raise Unsupported(f"{top}: reads into the focus node through {predicate}")
        scope.incoming.add(str(predicate))
        if scope.in_targets is None:
            return
        if (top, SH.target, None) in shapes:
            scope.in_targets = None
            return
        for kind in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode):
            scope.in_targets.extend((kind, str(o)) for o in shapes.objects(top, kind))
        if (top, RDF.type, RDFS.Class) in shapes or (top, RDF.type, OWL.Class) in shapes:
            scope.in_targets.append((SH.targetClass, str(top)))

    def check(shape: Node, top: Node, level: int, seen: frozenset) -> None:
        """``level`` 0: the shape applies to the focus node; 1: to a value of it."""
        if shape in seen:
            raise Unsupported(f"{shape}: recursive shape")
        seen = seen | {shape}
        is_property = (shape, SH.path, None) in shapes
        if is_property:
            path = shapes.value(shape, SH.path)
            inverse = shapes.value(path, SH.inversePath) if isinstance(path, BNode) else None
            if level > 0 or not (isinstance(path, URIRef) or isinstance(inverse, URIRef)):
                raise Unsupported(f"{shape}: path {path} read from a value or not one step")
            if inverse is not None:
                in_reader(top, inverse)
        nodes_at = level + 1 if is_property else level  # level of the nodes constrained
        used: set[Node] = set()
        for predicate, obj in shapes.predicate_objects(shape):
            if predicate in _VALUE_LOCAL or predicate in _INERT or predicate == SH["class"]:
                continue  # sh:class reads a value's rdf:type: within reach at level <= 1
            if predicate in _PROPERTY_LOCAL and is_property:
                continue
            if predicate in (SH["or"], SH["and"], SH.xone):
                for item in Collection(shapes, obj):
                    check(item, top, nodes_at, seen)
            elif predicate in (SH["not"], SH.node, SH.property):
                check(obj, top, nodes_at, seen)
            elif predicate in (SH.sparql, SH.target):
                if level > 0:
                    raise Unsupported(f"{shape}: SPARQL on a value node")
                for text in (*shapes.objects(obj, SH.select), *shapes.objects(obj, SH.ask)):
                    if _check_query(text, shape, scope):
                        raise Unsupported(f"{shape}: sh:sparql reading into the focus node")
            elif predicate in component_of:
                used.add(component_of[predicate])
            elif predicate.startswith(str(SH)):
                raise Unsupported(f"{shape}: {predicate} is not known to stay in context")
        for component in used:
            if level > 0:
                raise Unsupported(f"{shape}: constraint component {component} on a value node")
            for text in queries[component]:
                for name in _check_query(text, shape, scope):
                    for followed in shapes.objects(shape, parameters[component][name]):
                        in_reader(top, followed)

    tops = {s for kind in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf,
                           SH.targetNode, SH.target) for s in shapes.subjects(kind, None)}
    tops |= {s for s in shapes.subjects(RDF.type, SH.NodeShape)
             if (s, RDF.type, RDFS.Class) in shapes or (s, RDF.type, OWL.Class) in shapes}
    for top in tops:
        for predicate in shapes.objects(top, SH.targetObjectsOf):
            in_reader(top, predicate)  # a node becomes a target by a triple pointing at it
        check(top, top, 0, frozenset())
    return scope
