"""The processor runtime every processor runs on (faust-streaming): the batch agent, the batch rule, the offset
store, the unit of work and its outputs."""
