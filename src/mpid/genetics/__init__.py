"""mpid.genetics."""
