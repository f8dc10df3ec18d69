"""XML in and out of the lab engine, through the SDK's own readers and writers.

The SDK writers know every element of the API model but not `<link>` elements (clients only read
those), so links are appended to the element the writer produced, where the engine puts them.
"""

from ovirtsdk4 import types
from ovirtsdk4.reader import Reader
from ovirtsdk4.writer import Writer

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
XML_CONTENT_TYPE = "application/xml;charset=UTF-8"


class BadXml(Exception):
    pass


def _escape_attribute(value):
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def element(obj, links=()):
    """Serialize one SDK object; `links` are (rel, href) pairs appended inside the element."""
    text = Writer.write(obj)
    if not links:
        return text
    link_xml = "".join(f'<link href="{_escape_attribute(href)}" rel="{rel}"/>' for rel, href in links)
    if text.endswith("/>"):
        return text[:-2] + ">" + link_xml + f"</{_tag(text)}>"
    close = text.rindex("</")
    return text[:close] + link_xml + text[close:]


def _tag(text):
    end = len(text)
    for stop in (" ", ">", "/"):
        index = text.find(stop, 1)
        if index != -1:
            end = min(end, index)
    return text[1:end]


def document(fragment):
    return XML_DECLARATION + fragment


def collection(tag, fragments):
    """A plural element made of already-serialized item fragments."""
    if not fragments:
        return f"<{tag}/>"
    return f"<{tag}>" + "".join(fragments) + f"</{tag}>"


def parse(body):
    """Read a request body with the SDK readers; raise BadXml when it cannot be read."""
    if not body or not body.strip():
        raise BadXml("empty body")
    try:
        return Reader.read(body)
    except Exception as error:  # the C reader raises a variety of errors on malformed input
        raise BadXml(str(error)) from error


def fault(reason, detail):
    return document(Writer.write(types.Fault(reason=reason, detail=detail)))


def action_fault(reason, detail):
    """A failed action answers with an <action> carrying the fault, as the engine does."""
    return document(Writer.write(types.Action(fault=types.Fault(reason=reason, detail=detail),
                                              status="failed")))


def action_done():
    return document(Writer.write(types.Action(status="complete")))
