"""Helpers for tests and local development (a real Neo4j server from Maven Central jars)."""
