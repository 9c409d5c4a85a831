"""HTML previews: every message's sample recipients drawn on their devices, and diffs.

- ``preview_site``: ``pipeline preview --format html``, and what ``pipeline serve`` serves;
- ``diff_site``: ``pipeline diff --format html``;
- ``views``: a delivery as a device shows it (SMS parts, notification cuts);
- ``pages``: the page templates (``templates/``: Jinja, one inlined stylesheet);
- ``sitedir``: a site in memory, written to a folder all or nothing;
- ``server``, ``watch``: ``pipeline serve``, rebuilt when a file changes.
"""
