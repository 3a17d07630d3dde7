"""Request checks that need no SQL: names, data types, ``schema_definition``, rows and values.

``types`` parses Databricks types; ``identifiers`` and ``schema`` check names and table
definitions; ``rows`` checks rows, update values and keys with code that ``generator``
writes once per schema and that calls the helpers of ``runtime``; ``filters`` checks filters
and updated columns against a table's columns.
"""
