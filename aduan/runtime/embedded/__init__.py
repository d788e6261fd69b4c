"""The embedded default: a tansu Kafka-protocol broker and a PostgreSQL server, started by aduan itself."""
