"""Synthetic world: businesses, users, conversations, feedback and Status ads as log-format v1 CSV.

`generate_world` writes one file per kind plus `truth.csv`, the planted bad actors and hard
negatives that the review queue is scored against (`trustdesk evaluate`). `ARCHETYPE_RULES` says
what each archetype does, how many there are and which signals that leaves in the logs: blatant
spammers, subtle spammers and coordinated rings at a few times their category's rates, account
takeovers, election spammers, scammers, and hard negatives that look bad on one signal only.
`Abuse` holds the knobs (`generate_world(..., abuse=Abuse(subtle_mult=(3.0, 3.0)))`).

How it stays fast, bounded and reproducible:

- The period is cut into time slices of about `CHUNK_MESSAGES` messages. A slice is generated as
  numpy column arrays (no Python loop per row) and sorted by time; ids, timestamps and user ids are
  built as fixed-width byte matrices, low-cardinality columns are gathered from polars Enums, and
  polars writes the rows. One writer thread formats and appends slice k while slice k+1 is
  generated, so memory does not grow with the number of messages.
- Everything that links slices is a pure function of (business, customer slot) or (user, time).
  State is O(users + businesses + campaigns): the world plan.
- Every random draw comes from `PCG64` seeded with (seed, purpose, slice index); hashes are
  splitmix64. Files are appended to in slice order by a single thread, so the bytes depend neither
  on timing nor on the thread count.

Modules, from the bottom up:

- `archetypes`, `abuse`, `geography`, `content`: the tables (who plants what, and its knobs;
  countries and daily rhythm; templates and texts, rings' template families included). `codes`:
  the integer codes the arrays carry.
- `draws`, `columns`, `rows`: seeded randomness; fixed-width and Enum columns; slice rows.
- `businesses`, `campaigns`, `streams`, `calibrate`, `dimensions`, `plan`: the world plan (the
  subtle spammers' and rings' rates solved from the normal businesses' expected rates) and the
  dimension files it fixes.
- `lookups`, `timeslices`, `feedback`, `ads`: one time slice and the events it causes.
- `writer`: `generate_world`, the slice loop and the files.
"""

from etl.synth.abuse import Abuse
from etl.synth.archetypes import ARCHETYPE_RULES, ARCHETYPES, BAD_ARCHETYPES, HARD_NEGATIVES
from etl.synth.geography import COUNTRY_CODES
from etl.synth.writer import CHUNK_MESSAGES, OUTPUT_FILES, generate_world

__all__ = [
    "ARCHETYPES",
    "Abuse",
    "ARCHETYPE_RULES",
    "BAD_ARCHETYPES",
    "CHUNK_MESSAGES",
    "COUNTRY_CODES",
    "HARD_NEGATIVES",
    "OUTPUT_FILES",
    "generate_world",
]
