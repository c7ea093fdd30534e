"""Delta tables: where a lake is (``paths``), the store that reads and commits to it
(``store``, ``_versions`` for time travel, ``_sql`` for the few predicate literals), the polars
queries over it (``query``), its maintenance (``maintenance``), and the position files a
backtest or a monitor reads (``snapshot_files``). Nothing here runs a rule.
"""
