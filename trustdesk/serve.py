"""Start Streamlit for `trustdesk serve`, with app.py's navigation in charge of every address.

Streamlit treats an app that has a `pages/` folder beside its entry file as a "pages directory"
app until the first script run calls `st.navigation`; a first visitor who opens a page's address
directly would then get that page file run on its own, with Streamlit's list of every file in the
sidebar. TrustDesk always navigates with `st.navigation` (by role), so the launcher says so before
the server starts.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
    except (ImportError, AttributeError):  # a Streamlit without the flag routes by st.navigation anyway
        pass
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", *sys.argv[1:]]
    streamlit_main()


if __name__ == "__main__":
    main()
