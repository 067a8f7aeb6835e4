"""Coordinated campaigns: accounts that send the same template texts to overlapping recipients.

One account of a ring looks mildly bad alone; together its accounts are one campaign. Over a
period:

1. Every template text the businesses sent (the `template_texts` mart, texts in their normal form)
   gets a MinHash of its word shingles (`datasketch`); MinHash LSH groups near-duplicate texts
   (estimated Jaccard >= TEXT_SIMILARITY), so "Claim your 500 prize" and "Claim your 750 prize
   now" are one text.
2. Businesses that send a text of the same group are candidate pairs. A text sent by more than
   MAX_SHARING businesses is boilerplate (one-time codes, order updates) and proves nothing.
3. A candidate pair is linked when its recipients overlap far beyond chance: at least MIN_SHARED
   users reached by both, at least MIN_OVERLAP of the smaller one's recipients, and against the
   overlap two independent senders of that country would have (E = reached_a x reached_b / users
   reached in the country) at least MIN_LIFT times E and MIN_Z standard deviations above it
   ((shared - E) / sqrt(E)): in a small market a ring reaches much of the country, so the lift
   alone is modest while the excess is still far beyond chance.
4. Linked businesses form campaigns (connected components) of at least MIN_ACCOUNTS accounts.

Whether a campaign is abuse is the risk score's question (trustdesk/moderation/risk.py): it
pools the accounts' reports and blocks and judges the pooled rates against their peers.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

import polars as pl
from datasketch import MinHash, MinHashLSH

from trustdesk.warehouse import Warehouse, has_table, run

TEXT_SIMILARITY = 0.7
NUM_PERM = 64
MAX_SHARING = 50
MIN_SHARED = 5
MIN_OVERLAP = 0.2
MIN_LIFT = 1.5
MIN_Z = 5.0
MIN_ACCOUNTS = 3
_WORD = re.compile(r"\w+")


@dataclass
class Campaign:
    campaign_id: str
    accounts: list[str]
    template: str  # the shared template most of the links rest on
    text: str  # one of its texts, as written
    recipients: int = 0
    shared_recipients: int = 0  # recipients two or more of its accounts reached
    date_from: date | None = None
    date_to: date | None = None
    templates: list[str] = field(default_factory=list)

    @property
    def shared_share(self) -> float:
        return self.shared_recipients / self.recipients if self.recipients else 0.0

    def describe(self) -> str:
        """The reason the queue shows: part of campaign C (6 accounts, shared template 'X', 41% shared
        recipients)."""
        return (
            f"part of campaign {self.campaign_id} ({len(self.accounts)} accounts, shared template "
            f"'{self.template}', {self.shared_share:.0%} shared recipients)"
        )


def _shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return {" ".join(words).encode()} if words else {b""}
    return {" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2)}


def _text_groups(keys: list[str]) -> dict[str, int]:
    """Each text key's group of near-duplicates (an index)."""
    lsh = MinHashLSH(threshold=TEXT_SIMILARITY, num_perm=NUM_PERM)
    hashes = {}
    for i, key in enumerate(keys):
        m = MinHash(num_perm=NUM_PERM, seed=7)
        m.update_batch(list(_shingles(key)))
        hashes[i] = m
        lsh.insert(str(i), m)
    parent = list(range(len(keys)))
    for i, m in hashes.items():
        for j in lsh.query(m):
            _union(parent, i, int(j))
    return {key: _find(parent, i) for i, key in enumerate(keys)}


def _find(parent: list, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list, a, b) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)


def _campaign_id(accounts: list[str]) -> str:
    """Stable across days and loads while the accounts stay the same."""
    return "C" + hashlib.sha1("\n".join(sorted(accounts)).encode()).hexdigest()[:6].upper()


def find(wh: Warehouse, date_from: date, date_to: date, candidates: set[str] | None = None) -> list[Campaign]:
    """The coordinated campaigns of the period, largest first. `candidates`: only these businesses
    can be linked (the risk score passes those whose traffic or feedback is out of the ordinary),
    which keeps the pairs few where thousands of ordinary businesses share boilerplate."""
    if not has_table(wh, "template_texts"):
        return []
    texts = run(wh, "campaign_texts", date_from=date_from, date_to=date_to)
    if candidates is not None:
        texts = texts.filter(pl.col("business_id").is_in(sorted(candidates)))
    if texts.is_empty():
        return []
    keys = texts["text_key"].unique().sort().to_list()
    group_of = _text_groups(keys)
    texts = texts.with_columns(pl.col("text_key").replace_strict(group_of, return_dtype=pl.Int64).alias("group"))
    sharing = texts.select("group", "business_id").unique()
    sharing = sharing.filter(pl.len().over("group").is_between(2, MAX_SHARING))
    # every pair of businesses sending a text of the same group, with the groups they share
    pairs = (
        sharing.join(sharing, on="group", suffix="_b")
        .filter(pl.col("business_id") < pl.col("business_id_b"))
        .rename({"business_id": "a", "business_id_b": "b"})
        .sort("a", "b", "group")
    )
    if pairs.is_empty():
        return []
    unique_pairs = pairs.select("a", "b").unique(maintain_order=True)
    overlap = run(
        wh,
        "campaign_overlap",
        left=unique_pairs["a"].to_list(),
        right=unique_pairs["b"].to_list(),
        date_from=date_from,
        date_to=date_to,
    )
    expected = (
        pl.col("reached_a").cast(pl.Float64) * pl.col("reached_b") / pl.col("country_users").clip(1, None)
    ).clip(1e-9, None)
    linked = overlap.filter(
        (pl.col("shared") >= MIN_SHARED)
        & (pl.col("shared") >= MIN_OVERLAP * pl.min_horizontal("reached_a", "reached_b"))
        & (pl.col("shared") >= MIN_LIFT * expected)
        & ((pl.col("shared") - expected) / expected.sqrt() >= MIN_Z)
    )
    parent: dict[str, str] = {}
    for a, b in linked.select("a", "b").iter_rows():
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        _union(parent, a, b)
    components: dict[str, list[str]] = {}
    for node in parent:
        components.setdefault(_find(parent, node), []).append(node)
    campaigns = []
    for accounts in components.values():
        if len(accounts) < MIN_ACCOUNTS:
            continue
        accounts = sorted(accounts)
        inside = pairs.filter(pl.col("a").is_in(accounts) & pl.col("b").is_in(accounts))
        # the text group most of its pairs share (ties: the lowest), and its most used template
        group = inside.group_by("group").len().sort(["len", "group"], descending=[True, False])["group"][0]
        shared = texts.filter(pl.col("business_id").is_in(accounts) & (pl.col("group") == group))
        template = (
            shared.group_by("template")
            .agg(pl.col("messages").sum())
            .sort(["messages", "template"], descending=[True, False])["template"][0]
        )
        sample = shared.filter(pl.col("template") == template).sort(["messages", "text_key"], descending=[True, False])
        shared_templates = texts.filter(
            pl.col("business_id").is_in(accounts) & pl.col("group").is_in(inside["group"].unique().implode())
        )["template"]
        campaigns.append(
            Campaign(
                campaign_id=_campaign_id(accounts),
                accounts=accounts,
                template=template,
                text=str(sample["text"][0] or template),
                date_from=date_from,
                date_to=date_to,
                templates=sorted(set(shared_templates.to_list())),
            )
        )
    if campaigns:
        ids = [c.campaign_id for c in campaigns for _ in c.accounts]
        accounts = [a for c in campaigns for a in c.accounts]
        sizes = run(
            wh, "campaign_recipients", campaign=ids, business=accounts, date_from=date_from, date_to=date_to
        ).rows_by_key("campaign_id", unique=True)
        for c in campaigns:
            c.recipients, c.shared_recipients = sizes.get(c.campaign_id, (0, 0))
    return sorted(campaigns, key=lambda c: (-len(c.accounts), c.campaign_id))


def members(campaigns: list[Campaign]) -> pl.DataFrame:
    """business_id -> campaign_id, the campaign's reason sentence and size, one row per account."""
    rows = [(a, c.campaign_id, c.describe(), len(c.accounts)) for c in campaigns for a in c.accounts]
    return pl.DataFrame(
        rows,
        schema={"business_id": pl.String, "campaign_id": pl.String, "campaign": pl.String, "campaign_size": pl.Int64},
        orient="row",
    ).unique("business_id", keep="first")
