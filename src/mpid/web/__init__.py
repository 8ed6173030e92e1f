"""mpid.web."""
