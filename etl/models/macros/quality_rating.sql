-- docs/metrics.md "quality rating", defined once: negative users / reached users against the
-- thresholds, which the reader binds from the settings in force when it reads ($min_reached,
-- $medium_from, $low_from), so changing a threshold needs no rebuild.
create or replace macro quality_rating(negative_users, reached_users, min_reached, medium_from, low_from) as
    case
        when reached_users < min_reached then 'UNKNOWN'
        when negative_users / reached_users < medium_from then 'HIGH'
        when negative_users / reached_users < low_from then 'MEDIUM'
        else 'LOW'
    end
