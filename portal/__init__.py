"""The public web portal (``aduan run portal``): submit a report, track it, read the statistics, in Indonesian.

Server-rendered with aiohttp and Jinja2; it takes reports through the same door as ``POST /api/v1/complaints``
(:mod:`channels.web`), reads only the documented projection views, and sends reporter actions on the commands
topic like ``aduan reporter``.
"""
