"""What an alert, a decision and a position snapshot are: models, their rows, their checks.

The bottom layer: nothing here reads a table, runs a rule or calls the wall clock.
``errors`` (the exception tree), the private helpers (``_text``, ``_json``, ``_events``,
``_ids``, ``_time``, ``_enums``), the models (``alerts``, ``decisions``, ``snapshot``), their
rows (``snapshot_schema``; ``snapshot_rows`` and ``snapshot_frames``: the one snapshot
normaliser, for a row and for a frame; ``schema``: the alerts table's columns and model <->
row), the decision -> alert ``mapping``, ``portfolio`` risk, the ``search`` language of the
board, the CLI and matchers, and the views derived from alert frames (``lifecycle``,
``triage_stats``).
"""
