"""Every page of the dashboard, its section and the least role that may open it.

`app.py` builds the navigation from this list for the signed-in person's role; each page also
checks its role itself (`session.require`), so a URL typed by hand is refused as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trustdesk.accounts.auth import RANK
from trustdesk.site import site_root


@dataclass(frozen=True)
class PageSpec:
    section: str
    file: str
    title: str
    icon: str
    role: str
    default: bool = False


PAGES = (
    PageSpec("Analytics", "pages/analytics/overview.py", "Overview", ":material/dashboard:", "analyst", default=True),
    PageSpec("Analytics", "pages/analytics/spam_reports.py", "Spam reports", ":material/report:", "analyst"),
    PageSpec("Analytics", "pages/analytics/block_rates.py", "Block rates & quality", ":material/block:", "analyst"),
    PageSpec("Analytics", "pages/analytics/status_ads.py", "Status ads", ":material/campaign:", "analyst"),
    PageSpec("Analytics", "pages/analytics/revenue.py", "Revenue by region", ":material/payments:", "analyst"),
    PageSpec("Analytics", "pages/analytics/messaging_health.py", "Messaging health", ":material/forum:", "analyst"),
    PageSpec("Moderation", "pages/moderation/review_queue.py", "Review queue", ":material/gavel:", "moderator"),
    PageSpec("Moderation", "pages/moderation/business.py", "Business", ":material/storefront:", "moderator"),
    PageSpec("Moderation", "pages/moderation/campaigns.py", "Campaigns", ":material/hub:", "moderator"),
    PageSpec("Moderation", "pages/moderation/audit_log.py", "Audit log", ":material/history:", "moderator"),
    PageSpec(
        "Moderation", "pages/moderation/moderator_metrics.py", "Moderator metrics", ":material/monitoring:", "moderator"
    ),
    PageSpec("Moderation", "pages/moderation/backtest.py", "Queue backtest", ":material/query_stats:", "moderator"),
    PageSpec("Moderation", "pages/moderation/transparency.py", "Transparency report", ":material/balance:", "analyst"),
    PageSpec("Data", "pages/data/upload.py", "Upload", ":material/upload_file:", "moderator"),
    PageSpec("Data", "pages/data/quarantine.py", "Quarantine", ":material/warning:", "moderator"),
    PageSpec("Data", "pages/data/load_history.py", "Load history", ":material/list_alt:", "analyst"),
    PageSpec("Data", "pages/data/data_quality.py", "Data quality", ":material/fact_check:", "analyst"),
    PageSpec("Admin", "pages/admin/accounts.py", "Accounts", ":material/manage_accounts:", "admin"),
    PageSpec("Admin", "pages/admin/settings.py", "Settings", ":material/settings:", "admin"),
    PageSpec("Admin", "pages/admin/policies.py", "Policies", ":material/policy:", "admin"),
    PageSpec("Admin", "pages/admin/queues.py", "Queues", ":material/queue:", "admin"),
    PageSpec("Admin", "pages/admin/deliveries.py", "Deliveries", ":material/outbox:", "admin"),
)


def pages_for(role: str) -> list[PageSpec]:
    """The pages this role may open that exist in this build."""
    return [p for p in PAGES if RANK[role] >= RANK[p.role] and (site_root() / p.file).exists()]


def page_file(stem: str) -> str:
    """The navigation's file of the page `stem` (its file name without `.py`), relative to app.py."""
    for p in PAGES:
        if Path(p.file).stem == stem:
            return p.file
    raise KeyError(f"no page named {stem!r} in the navigation")


def page_path(stem: str) -> Path:
    return site_root() / page_file(stem)
