"""mpid.formats."""
