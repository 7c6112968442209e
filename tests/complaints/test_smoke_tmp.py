from __future__ import annotations


def test_it_files(complaint):  # type: ignore[no-untyped-def]
    assert complaint.reference.startswith("C-")
    assert complaint.events.count() == 1
