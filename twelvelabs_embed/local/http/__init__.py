"""Everything HTTP: the URL table, handlers per API family, bodies, errors, OpenAPI."""
