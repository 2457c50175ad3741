"""Usage priced by the `[prices]` table, in exact decimal arithmetic.

Cost is linear in the usage sums (CPU milliseconds, peak-memory byte-milliseconds, runs),
so a group's cost is computed from its sums, and the cost of the whole equals the sum of
the groups' costs exactly: no float ever touches an amount. Amounts are kept to
`COST_PLACES` decimal places (rounded half-even); tables show cents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from omnix.agent.config import PriceTable
from omnix.agent.store.metering import UsageTotal

COST_PLACES = Decimal("0.000001")
_MS_PER_SECOND = Decimal(1000)
_BYTE_MS_PER_GB_HOUR = Decimal(10**9) * Decimal(3_600_000)


def cost(total: UsageTotal, prices: PriceTable) -> Decimal:
    """What the usage of one group costs."""
    amount = (
        Decimal(total.cpu_ms) * prices.cpu_second / _MS_PER_SECOND
        + Decimal(total.memory_byte_ms) * prices.gb_hour / _BYTE_MS_PER_GB_HOUR
        + Decimal(total.runs) * prices.run
    )
    return amount.quantize(COST_PLACES, rounding=ROUND_HALF_EVEN)
