"""Tell a message that goes through gettext as one sentence from one pieced together around a
translation: give its msgid a zh-Hant entry for the test (the real catalogues are built by the lead)
and look for that entry on the page."""

from contextlib import contextmanager

from django.utils.translation import trans_real


@contextmanager
def zh_hant_entries(entries: dict[str, str]):
    catalog = trans_real.translation("zh-hant")._catalog._catalogs[0]
    missing = object()
    previous = {msgid: catalog.get(msgid, missing) for msgid in entries}
    catalog.update(entries)
    try:
        yield
    finally:
        for msgid, old in previous.items():
            if old is missing:
                del catalog[msgid]
            else:
                catalog[msgid] = old
