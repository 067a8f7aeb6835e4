-- Grain: business x day x reporting user's country: political reports, to see a burst aimed at
-- one country.
-- unique: business_id, day, user_country
select business_id, day, coalesce(user_country, '??') as user_country, count(*) as reports,
       business_category
from feedback_events
where kind = 'report' and reason = 'political'
group by all
