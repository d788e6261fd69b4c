CREATE SCHEMA IF NOT EXISTS projection;
SET LOCAL search_path TO projection, public;

-- The OPEN311 channel (reports from Open311 GeoReport v2 clients, channels/open311/) appears in the channel
-- statistics, with zero until its first report.
CREATE OR REPLACE VIEW stats_by_channel AS
SELECT coalesce(t.channel, k.channel) AS channel, coalesce(k.complaints, 0)::bigint AS complaints
FROM (SELECT channel, sum(complaints) AS complaints FROM complaint_counts GROUP BY 1) k
FULL JOIN (VALUES ('WEB'), ('MOBILE_APP'), ('SMS'), ('EMAIL'), ('SOCIAL_MEDIA'), ('BULK_IMPORT'), ('OTHER'),
                  ('OPEN311'))
    t (channel) USING (channel);
COMMENT ON VIEW stats_by_channel IS 'Complaints per channel they came through.';
