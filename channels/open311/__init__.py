"""Open311 GeoReport v2 on ``channels-http``, under ``/open311/v2/``: any Open311 client can list the services
(one per complaint category), submit a request through the same intake door as every other channel (channel
``OPEN311``), and follow public complaints. Every answer comes as ``.json`` or ``.xml``, errors included.

- :mod:`channels.open311.formats`: the two formats and the spec's error body;
- :mod:`channels.open311.keys`: the operator's API keys (``ADUAN_OPEN311_KEYS``);
- :mod:`channels.open311.services`: the service list and definitions, from the category taxonomy;
- :mod:`channels.open311.placing`: which region a request is in;
- :mod:`channels.open311.submission`: a posted request as an intake report;
- :mod:`channels.open311.reading`: ``GET requests`` over the public read model;
- :mod:`channels.open311.routes`: the aiohttp handlers; :mod:`channels.open311.openapi`: their OpenAPI part.
"""
