"""``python -m benchmarks``: every benchmark, one after the other, with the default sizes (about 15 minutes)."""

from benchmarks import portal, projection, routing

if __name__ == "__main__":
    routing.main([])
    projection.main([])
    portal.main([])
