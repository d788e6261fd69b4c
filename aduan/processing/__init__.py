"""The processor runtime: the batch agent every stream processor runs on (faust-streaming)."""
