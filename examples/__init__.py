"""Example applications to copy: each folder stands alone."""
