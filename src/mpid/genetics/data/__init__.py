"""Public allele frequency tables shipped with mpid (see README.md here)."""
