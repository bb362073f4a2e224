"""robustmem package."""
