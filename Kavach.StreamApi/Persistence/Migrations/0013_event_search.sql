-- Placeholder for the investigation work's migration 13 (issue 22, event search): it keeps the versions without a gap
-- on the alerts branch. The search branch's 0013_event_search.sql replaces this file when the branches are merged.
SELECT 1;
