"""Deciding, committing and notifying, live: the identity rules over frames (``episodes``),
one MERGE per write (``firings``, ``transitions``), the monitoring ``cycle``, the
notification hub (``notify``), the managers (``sync_manager``: the core; ``manager``: the
async adapter and ``sync_manager_of``) and the ``monitor``.
"""
