"""The server behind ``storyline serve``: the HTTP API and the web pages over one store, one part per file
(moving here from :mod:`storyline.api`, which re-exports every public name for one release).

This file imports none of its parts: the web pages (:mod:`storyline.web`) take what they need from the parts
they share with the app (JSON encoding, views) without loading the app, which mounts them.
"""
