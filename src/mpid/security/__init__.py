"""mpid.security."""
