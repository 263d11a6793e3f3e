"""The HTTP edge: FastAPI application, security (passwords, tokens, rate limits), problem responses."""
