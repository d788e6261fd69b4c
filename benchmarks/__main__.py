"""``python -m benchmarks``: every benchmark, one after the other, with the default sizes (about 20 minutes).

The long runs of the targets are separate: ``python -m benchmarks.routing --count 200000 --storage memory`` and
``python -m benchmarks.projection --events 1000000``.
"""

from benchmarks import latency, portal, projection, routing

if __name__ == "__main__":
    latency.main([])
    routing.main([])
    projection.main(["--events", "200000"])
    portal.main([])
