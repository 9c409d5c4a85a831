"""The checks behind ``pipeline lint``, one module per kind of evidence.

- ``findings``: what a check reports, the table of every check, grouping by user.
- ``templates``: the templates a message uses, read without rendering (syntax, ``sub()``).
- ``static``: checks on message.yaml and its templates that need no audience.
- ``users``: checks that render every user of an audience and look at what each receives.
- ``received``: the checks of one delivery (SMS size and encoding, payload, leftovers).
- ``sms_text``: the characters of the message's own SMS text that force UCS-2, and their cost.
"""
