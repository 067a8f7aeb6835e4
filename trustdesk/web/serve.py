"""`trustdesk serve`: the dashboard on Streamlit's own ASGI server (`st.App`, uvicorn), with the
routes and middleware of trustdesk/web/server.py, and app.py's navigation in charge of every address.

Streamlit treats an app that has a `pages/` folder beside its entry file as a "pages directory"
app until the first script run calls `st.navigation`; a first visitor who opens a page's address
directly would then get that page file run on its own. TrustDesk always navigates with
`st.navigation` (by role), so the launcher says so before the server starts.

Options are Streamlit's, as `--section.option value` or `--section.option=value`
(e.g. `--server.port 8600`). Uvicorn handles SIGINT and SIGTERM: the server stops and the
process exits.
"""

from __future__ import annotations

import sys

from streamlit import config
from streamlit.runtime.pages_manager import PagesManager

from trustdesk.site import app_file
from trustdesk.web.server import create_app


class OptionError(ValueError):
    pass


def parse_options(args: list[str]) -> dict:
    """Streamlit config options from command-line words, typed like their defaults."""
    options: dict = {}
    words = list(args)
    if words[:1] == ["run"]:  # the old launcher's form: `run <script> ...`; the script is app.py
        words = words[2:]
    while words:
        word = words.pop(0)
        if not word.startswith("--"):
            raise OptionError(f"unexpected argument '{word}'; options look like --server.port 8600")
        key, sep, value = word[2:].partition("=")
        if not sep:
            if not words:
                raise OptionError(f"option --{key} needs a value")
            value = words.pop(0)
        template = config._config_options_template.get(key)
        if template is None:
            raise OptionError(f"unknown Streamlit option --{key}")
        kind = getattr(template, "type", None) or type(template.default_val)
        try:
            if kind is bool:
                if value.lower() not in ("true", "false"):
                    raise ValueError
                typed = value.lower() == "true"
            elif kind in (int, float):
                typed = kind(value)
            else:
                typed = value
        except ValueError:
            what = {bool: "true or false", int: "whole number", float: "number"}.get(kind, kind.__name__)
            raise OptionError(f"option --{key} needs a {what}, not '{value}'") from None
        options[key] = typed
    return options


def main() -> None:
    try:
        options = parse_options(sys.argv[1:])
    except OptionError as exc:
        print(f"trustdesk serve: {exc}", file=sys.stderr)
        sys.exit(2)
    PagesManager.uses_pages_directory = False
    # App.run anchors Streamlit (sys.path, the script-level .streamlit/ folder) at sys.argv[0].
    sys.argv = [str(app_file())]
    create_app().run(config=options)


if __name__ == "__main__":
    main()
