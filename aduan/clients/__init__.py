"""Clients of the topics: the agency client (inbox and signed actions) and the command sender."""
