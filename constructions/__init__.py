"""constructions package."""
