"""Channel adapters: the doors through which reports enter (web/app API, SMS 1708, email, social media, CSV).

Every adapter builds an ``id.aduan.intake.Report`` (:mod:`channels.report`), checks it with the same rules as the
intake processor, and publishes it to the intake topic keyed by ``<channel>:<channel message id>``. The tracking
id is derived from that key (:mod:`aduan.domain.tracking`), so the reporter gets it at once and a redelivery gets the
same one.
"""
