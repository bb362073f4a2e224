"""bounds package."""
