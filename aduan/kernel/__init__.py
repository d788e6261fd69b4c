"""The infrastructure kernel: Kafka and PostgreSQL helpers, configuration, clock, metrics, crypto."""
