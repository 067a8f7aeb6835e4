-- The days the quality_day mart covers: from its first day of activity to the last (both NULL
-- for an empty mart).
select min(day) as first_day, max(day) as last_day from quality_day
