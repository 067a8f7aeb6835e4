-- docs/metrics.md "Status ads" over everything the filters keep, for comparing with the previous
-- period: reach is the distinct users with an impression over the whole period.
-- Spend is exact money (DECIMAL); CPM, a ratio like CTR, is a DOUBLE of the exact spend x 1000.
with events as (
    select s.user_id, s.impressions, s.clicks, s.replies, s.spend_usd
    from ad_user_day as s
    where {{ filters('s') }}
),

totals as (
    select
        {{ ad_sums() }}
    from events
)

select {{ ad_measures() }}
from totals
