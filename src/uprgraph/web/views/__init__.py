"""Views of the pages for people: each returns plain data from named SPARQL queries."""
