"""The WebAdmin host page and the UI plugin resource servlet.

The host page is re-rendered on every GET with the definitions `UiPluginRegistry.reload()` builds
(the servlet reloads the descriptors on each page load); resources come from the same registry,
which only knows what the last page load found.
"""

import json
import mimetypes

HOST_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="content-type" content="text/html; charset=UTF-8">
<title>oVirt Engine Web Administration</title>
<script type="text/javascript">
    var pluginDefinitions = {definitions};
</script>
</head>
<body>
</body>
</html>
"""


class WebAdmin:
    def __init__(self, registry):
        self._registry = registry

    def host_page(self):
        definitions = json.dumps(self._registry.reload(), separators=(",", ":"))
        # A plugin's config is user data: keep it from closing the script element.
        return HOST_PAGE.format(definitions=definitions.replace("</", "<\\/")).encode("utf-8")

    def resource(self, name, relative_path):
        """(body, content_type) of a plugin resource, or None for a 404."""
        path = self._registry.resource(name, relative_path)
        if path is None:
            return None
        try:
            with open(path, "rb") as handle:
                body = handle.read()
        except OSError:
            return None
        return body, mimetypes.guess_type(path)[0] or "application/octet-stream"
