"""Server-rendered pages for people: sign-in, the case forms of each operational role,
decision records, the auditor's search, replay and export, and readable policies.

Every page is plain HTML (Jinja2, autoescaped) that works without JavaScript, served
with its style sheet from the app itself. Access goes through the API's one
enforcement point (``auth.require(action, page=True)``) and the same service code.
"""
