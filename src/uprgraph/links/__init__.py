"""Links from the UPR data to the rest of the UN's data, and figures about them.

- :mod:`.sdg`        SDG goal/target codes as the sources state them -> UN SDG KOS IRIs
- :mod:`.documents`  UN document symbols: parsing, type, session, undocs.org pages
- :mod:`.states`     ISO 3166-1 and M49 codes of a state (pycountry), for enrichment
- :mod:`.m49`        the M49 CSV -> a SKOS scheme of regions + state -> area links
- :mod:`.vocab`      ``uprgraph vocab add|list|remove``: vocabularies of a build
- :mod:`.wikidata`   ``uprgraph links fetch-wikidata``: owl:sameAs to Wikidata/GeoNames
- :mod:`.linksets`   VoID linksets (target dataset, predicate, count) of a release
- :mod:`.report`     coverage of every kind of link (``uprgraph links report``)
- :mod:`.commands`   the click groups ``vocab`` and ``links``

See docs/linking.md for what is linked, from which source, and how.
"""
