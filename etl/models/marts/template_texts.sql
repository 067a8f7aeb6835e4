-- Grain: business x template x text. What each business sent as templates, for finding accounts
-- that send the same texts (coordinated campaigns, trustdesk/moderation/campaigns.py). A text is
-- kept as written and keyed by its normal form (lower case, digits as 0, spaces collapsed), so
-- that "Claim 500" and "claim 750" are one text; at most the 5 most sent texts per template.
-- A file without texts keys each template by its name.
-- unique: business_id, template, text_key
with sent as (
    select
        business_id,
        template,
        coalesce(
            nullif(regexp_replace(regexp_replace(lower(trim(text)), '[0-9]+', '0', 'g'), '\s+', ' ', 'g'), ''),
            lower(template)
        ) as text_key,
        text,
        cast(sent_at as date) as day
    from stg_messages
    where direction = 'outbound' and template is not null and template <> ''
),

texts as (
    select
        business_id,
        template,
        text_key,
        count(*)::bigint as messages,
        min(text) as text,
        min(day) as first_day,
        max(day) as last_day
    from sent
    group by business_id, template, text_key
)

select *
from texts
qualify row_number() over (partition by business_id, template order by messages desc, text_key) <= 5
