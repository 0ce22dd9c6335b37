"""Tools for the people who maintain policies: render, test, approve, sign off."""
