"""The rules of the domain, called by handlers; no messenger types here either."""
