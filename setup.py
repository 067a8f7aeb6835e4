"""The wheel carries the dashboard's own files (setuptools reads everything else from pyproject.toml).

`app.py`, `pages/`, `.streamlit/config.toml`, the docs the dashboard shows and the reference data
live at the top of the checkout, outside the packages; an installed TrustDesk finds its copies
inside them (`trustdesk.web.site`, `etl.settings.SHIPPED_DATA`).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SITE = ("app.py", ".streamlit/config.toml", "pages", "docs/SETTINGS.md", "docs/samples")


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


class BuildWithSite(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout itself
        lib = Path(self.build_lib)
        for item in SITE:
            _copy(HERE / item, lib / "trustdesk" / "_site" / item)
        for csv in (HERE / "data").glob("*.csv"):
            _copy(csv, lib / "etl" / "_data" / csv.name)


setup(cmdclass={"build_py": BuildWithSite})
