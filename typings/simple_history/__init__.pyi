# Minimal stubs for django-simple-history, which ships no type information: only what this
# project uses. `history` managers are dynamic, so their members are Any.
