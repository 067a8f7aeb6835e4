-- Each business's name and category, to label the rows of other tables.
select business_id, name as business_name, category
from dim_businesses
