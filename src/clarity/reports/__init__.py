"""Reports: PDF reports uploaded by devices (and, later, rendered by Clarity)."""
