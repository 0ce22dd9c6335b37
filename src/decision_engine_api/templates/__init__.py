"""Jinja2 templates of the read-only HTML index (a package so wheels ship them)."""
