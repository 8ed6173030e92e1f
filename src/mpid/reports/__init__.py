"""mpid.reports."""
