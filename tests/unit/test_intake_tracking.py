"""Tracking ids: short, typeable, the same for a redelivery, different under another secret, unguessable."""

from __future__ import annotations

import re
import uuid

from aduan.domain.tracking import (
    ALPHABET,
    TrackingIds,
    complaint_id,
    delivery_key,
    normalise_tracking_id,
    reporter_ref,
)

SHAPE = re.compile(rf"[{ALPHABET}]{{5}}-[{ALPHABET}]{{5}}")


def test_the_same_delivery_always_gets_the_same_ids():
    ids = TrackingIds("secret")
    key = delivery_key("SMS", "gw-991")
    assert key == "sms:gw-991"
    assert ids.tracking_id(key) == TrackingIds("secret").tracking_id(key)
    assert complaint_id(key) == complaint_id("sms:gw-991")
    assert uuid.UUID(complaint_id(key)).version == 5


def test_a_tracking_id_is_ten_unambiguous_symbols_in_two_groups():
    ids = TrackingIds("secret")
    for n in range(500):
        tracking = ids.tracking_id(f"web:{n}")
        assert SHAPE.fullmatch(tracking), tracking
        assert not set(tracking) & set("ILOU")


def test_neighbouring_deliveries_get_unrelated_ids_and_another_secret_gives_other_ids():
    ids = TrackingIds("secret")
    tracking = [ids.tracking_id(f"web:{n}") for n in range(10_000)]
    assert len(set(tracking)) == len(tracking)
    assert len({t[:3] for t in tracking[:100]}) > 90  # consecutive keys share no prefix pattern
    assert ids.tracking_id("web:1") != TrackingIds("other secret").tracking_id("web:1")


def test_after_a_collision_the_next_candidates_differ():
    ids = TrackingIds("secret")
    candidates = {ids.tracking_id("web:1", attempt) for attempt in range(5)}
    assert len(candidates) == 5


def test_what_a_person_types_is_read_back():
    tracking = TrackingIds("secret").tracking_id("web:1")
    assert normalise_tracking_id(tracking.lower().replace("-", " ")) == tracking
    assert normalise_tracking_id("o1l2i-3456a") == "01121-3456A"
    assert normalise_tracking_id("K7Q2M-9XH4") is None
    assert normalise_tracking_id("K7Q2M-9XH4U") is None


def test_the_reporter_ref_comes_from_the_token_and_shows_no_contact():
    ids = TrackingIds("secret")
    token = ids.reporter_token("web:1")
    assert ids.reporter_ref("web:1") == reporter_ref(token)
    assert reporter_ref(token).startswith("rr-") and token not in reporter_ref(token)
    assert ids.reporter_token("web:2") != token
