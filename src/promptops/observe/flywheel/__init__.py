"""Production calls proposed as golden cases, and reviewed ones accepted."""
