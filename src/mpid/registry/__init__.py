"""mpid.registry."""
