"""mpid.matching."""
