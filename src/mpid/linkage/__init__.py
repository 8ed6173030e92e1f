"""mpid.linkage."""
