"""Files attached to business records: complaints, meetings, service reviews, demands.

A small kernel app (label `attachments`): one generic `Attachment` model (a generic foreign key
to its record), the content rules (size and type limits from settings, the type sniffed from the
bytes), the storage, the services that add and remove a file, and the page and API building
blocks. It imports no business app: each app says which records a user may see and who may
attach (an `AttachmentTarget` in its `files.py`, built with `services.attachment_target`), and
wires the views to its own URLs.
"""
