"""A simulated Growatt OpenAPI V1 cloud: a real HTTP server on loopback, for tests and demos."""
