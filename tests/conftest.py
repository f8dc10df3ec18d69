"""For every test: the collection importable from this checkout (pytest puts tests/ on sys.path
for this file, so collection_link is found)."""

from collection_link import use_checkout_collection

use_checkout_collection()
