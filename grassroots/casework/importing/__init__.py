"""Import of request histories from other systems (12345, 311, hotline exports): .xlsx or .csv with a column
mapping (see docs/casework.md, "Historical import").

- ``mapping``: the column and value mapping, its check, and a first guess from the header;
- ``validation``: one row → a ``HistoricalRequest`` or its row errors (look-ups loaded once);
- ``run``: ``request_import`` reads the file with the register import's readers, checks every row, then
  writes all of them through ``casework.history`` in one transaction, or none;
- ``jobs``: the pages run an import as a ``RequestImportJob`` (dry run, then import, progress polled).
"""
