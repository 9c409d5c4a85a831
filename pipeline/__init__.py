"""Render YAML audiences and Jinja templates into Amazon Pinpoint requests; check and send them."""
