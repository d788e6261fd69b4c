"""Read models of the complaint event log in PostgreSQL (schema ``projection``).

- ``projections/migrations``: the tables and the documented views (public, internal, statistics);
- :mod:`~projections.model`: the fold from events to status rows, timeline rows and stage completions (pure
  Python, the same for the live projection and the rebuild); :mod:`~projections.localities` puts a region code in
  its regency, province and local day; :mod:`~projections.decode` reads events fast;
- :mod:`~projections.applier`: one batch of complaint events applied to the read models, exactly once;
  :mod:`~projections.projector`: the ``projector`` process around it, on the processor runtime (offsets in the
  same transaction);
- :mod:`~projections.rebuild` and :mod:`~projections.replay`: ``aduan projections rebuild``;
  :mod:`~projections.lag`: ``aduan projections lag`` and the log's heads;
- :mod:`~projections.status` and :mod:`~projections.stats`: what ``aduan status``, ``aduan stats``
  (:mod:`~aduan.cli.projections`) and the ``read-api`` process (:mod:`~projections.read_api`) show;
- :mod:`~projections.tables`, :mod:`~projections.pgcopy`, :mod:`~projections.reference`,
  :mod:`~projections.output`, :mod:`~projections.progress`, :mod:`~projections.metrics`: the parts they share.
"""
