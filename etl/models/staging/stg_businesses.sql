-- Staging: business versions, one per load that defined the business.
select business_id, name, category, country, employees, verified, created_at, load_id, line
from raw_businesses
