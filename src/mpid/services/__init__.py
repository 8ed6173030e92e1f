"""mpid.services."""
