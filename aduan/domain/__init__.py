"""Pure domain logic of complaint handling: no Kafka, no database."""
