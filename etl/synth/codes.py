"""Integer codes the generator's arrays carry, and the constants both the plan and the slices use."""

from __future__ import annotations

from etl.contract import DIRECTIONS, MESSAGE_CATEGORIES, STATUSES

# stream kinds
CONV, SLOT, WARM, COLD = range(4)
# message category codes (index into MESSAGE_CATEGORIES) and the null code
MKT, UTIL, AUTH, SERV, NULLCAT = 0, 1, 2, 3, 4
FAILED = STATUSES.index("failed")
NULLSTATUS = len(STATUSES)
assert MESSAGE_CATEGORIES[:4] == ("marketing", "utility", "authentication", "service")
assert STATUSES == ("sent", "delivered", "read", "failed")
assert DIRECTIONS == ("inbound", "outbound")

P_IN = 0.55  # inbound messages per conversation ~ geometric(0.55), mean 1.82
P_OUT = 0.5  # answers per answered conversation ~ geometric(0.5), mean 2
DAY = 86_400
