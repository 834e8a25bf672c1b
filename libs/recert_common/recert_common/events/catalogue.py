"""Every event type of the platform (the catalogue is being written)."""
