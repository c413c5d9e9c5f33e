"""Database side: read-model tables, the projector, the rebuild, surveys, exports."""
