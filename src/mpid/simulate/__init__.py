"""mpid.simulate."""
