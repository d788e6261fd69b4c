CREATE SCHEMA IF NOT EXISTS projection;
SET LOCAL search_path TO projection, public;

-- Views for readers. "public_*" views are what anyone may see: confidential (rahasia) reports are left out
-- entirely, an anonymous (anonim) reporter has no name, and nobody's contact details or reporter ref appear.
-- "internal_*" views are for admins: every report and every stored field.

CREATE VIEW internal_complaint_status AS
SELECT s.*,
       c.name  AS category_name,
       r.name  AS region_name,
       rg.name AS regency_name,
       p.name  AS province_name,
       a.name  AS agency_name
FROM complaint_status s
LEFT JOIN categories c ON c.code = coalesce(s.category, 'uncategorised')
LEFT JOIN regions r ON r.code = s.region_code
LEFT JOIN regions rg ON rg.code = s.regency_code
LEFT JOIN regions p ON p.code = s.province_code
LEFT JOIN agencies a ON a.code = s.agency;
COMMENT ON VIEW internal_complaint_status IS 'Admins: every complaint with every stored field, and the names of its category, regions and agency.';

CREATE VIEW public_complaint_status AS
SELECT tracking_id, report_type, channel, coalesce(category, 'uncategorised') AS category, category_name,
       region_code, region_name, regency_code, regency_name, province_code, province_name,
       title, description, address, latitude, longitude, anonymous,
       CASE WHEN anonymous THEN NULL ELSE reporter_name END AS reporter_name,
       status, agency, agency_name, unit, forwards, reopen_count,
       submitted_at, verified_at, dispositioned_at, acknowledged_at, follow_up_at, resolved_at, closed_at,
       rejected_at, withdrawn_at, deadline_stage, deadline_due_at, deadline_breached, missed_deadline,
       escalation_level, rating, last_event_at
FROM internal_complaint_status
WHERE NOT confidential;
COMMENT ON VIEW public_complaint_status IS 'Anyone: complaints that are not confidential; no contact details, no reporter ref, no name of an anonymous reporter.';

CREATE VIEW internal_complaint_timeline AS
SELECT s.tracking_id, t.*
FROM complaint_timeline t
JOIN complaint_status s USING (complaint_id);
COMMENT ON VIEW internal_complaint_timeline IS 'Admins: every event of every complaint, in log order (log_offset).';

CREATE VIEW public_complaint_timeline AS
SELECT s.tracking_id, t.log_offset AS position, t.occurred_at, t.event, t.status, t.actor_kind,
       t.actor_agency, t.agency, t.stage, t.detail
FROM complaint_timeline t
JOIN complaint_status s USING (complaint_id)
WHERE NOT s.confidential;
COMMENT ON VIEW public_complaint_timeline IS 'Anyone: the events of complaints that are not confidential, in log order (position), without actor ids.';

-- Statistics. Counts come from complaint_counts (kept incrementally); everything else from the status and
-- stage tables. Every complaint counts, confidential ones included (only aggregates are shown). Hours are
-- elapsed hours from submission.

CREATE VIEW stats_by_province AS
SELECT p.code AS province_code, p.name AS province, coalesce(sum(k.complaints), 0)::bigint AS complaints
FROM regions p
LEFT JOIN complaint_counts k ON k.province_code = p.code
WHERE p.level = 'province'
GROUP BY p.code, p.name;
COMMENT ON VIEW stats_by_province IS 'Complaints per province; a province without reports shows 0.';

CREATE VIEW stats_by_regency AS
SELECT g.province_code, p.name AS province, g.code AS regency_code, g.name AS regency,
       coalesce(sum(k.complaints), 0)::bigint AS complaints
FROM regions g
JOIN regions p ON p.code = g.province_code
LEFT JOIN complaint_counts k ON k.regency_code = g.code
WHERE g.level = 'regency'
GROUP BY g.province_code, p.name, g.code, g.name;
COMMENT ON VIEW stats_by_regency IS 'Complaints per regency and city, with its province; 0 where no report. Reports placed only at province level count in stats_by_province, not here.';

CREATE VIEW stats_by_category AS
SELECT coalesce(c.code, k.category) AS category, c.name, coalesce(k.complaints, 0)::bigint AS complaints
FROM (SELECT coalesce(category, 'uncategorised') AS category, sum(complaints) AS complaints
      FROM complaint_counts GROUP BY 1) k
FULL JOIN categories c ON c.code = k.category;
COMMENT ON VIEW stats_by_category IS 'Complaints per current category (uncategorised until a verifier sets one); every category of the taxonomy, 0 where none.';

CREATE VIEW stats_by_report_type AS
SELECT coalesce(t.report_type, k.report_type) AS report_type, coalesce(k.complaints, 0)::bigint AS complaints
FROM (SELECT report_type, sum(complaints) AS complaints FROM complaint_counts GROUP BY 1) k
FULL JOIN (VALUES ('COMPLAINT'), ('ASPIRATION'), ('INFORMATION_REQUEST')) t (report_type) USING (report_type);
COMMENT ON VIEW stats_by_report_type IS 'Complaints per report type: complaint (pengaduan), aspiration (aspirasi), information request.';

CREATE VIEW stats_by_channel AS
SELECT coalesce(t.channel, k.channel) AS channel, coalesce(k.complaints, 0)::bigint AS complaints
FROM (SELECT channel, sum(complaints) AS complaints FROM complaint_counts GROUP BY 1) k
FULL JOIN (VALUES ('WEB'), ('MOBILE_APP'), ('SMS'), ('EMAIL'), ('SOCIAL_MEDIA'), ('BULK_IMPORT'), ('OTHER'))
    t (channel) USING (channel);
COMMENT ON VIEW stats_by_channel IS 'Complaints per channel they came through.';

CREATE VIEW stats_by_day AS
SELECT d::date AS day, coalesce(k.complaints, 0)::bigint AS complaints
FROM generate_series((SELECT min(day) FROM complaint_counts), (SELECT max(day) FROM complaint_counts),
                     interval '1 day') d
LEFT JOIN (SELECT day, sum(complaints) AS complaints FROM complaint_counts GROUP BY day) k ON k.day = d::date;
COMMENT ON VIEW stats_by_day IS 'Complaints per local submission day (in the time zone of its region), every day from the first report to the last.';

CREATE VIEW stats_by_status AS
SELECT coalesce(t.status, k.status) AS status, coalesce(k.complaints, 0)::bigint AS complaints
FROM (SELECT status, count(*) AS complaints FROM complaint_status GROUP BY status) k
FULL JOIN (VALUES ('SUBMITTED'), ('POSTPONED'), ('REJECTED'), ('DISPOSITIONED'), ('IN_PROGRESS'),
                  ('WAITING_FOR_REPORTER'), ('FOLLOWED_UP'), ('RESOLVED'), ('CLOSED'), ('WITHDRAWN'))
    t (status) USING (status);
COMMENT ON VIEW stats_by_status IS 'Complaints per current status.';

CREATE VIEW stats_on_time_by_stage AS
SELECT stage, count(*) AS completed, count(*) FILTER (WHERE on_time) AS on_time,
       round(count(*) FILTER (WHERE on_time)::numeric / count(*), 4) AS on_time_rate
FROM stage_completions
GROUP BY stage;
COMMENT ON VIEW stats_on_time_by_stage IS 'Clocked stages completed and how many on time (StageCompleted events; stages abandoned by a withdrawal or closure do not count).';

CREATE VIEW stats_on_time_by_agency AS
SELECT sc.agency, a.name, sc.stage, count(*) AS completed, count(*) FILTER (WHERE sc.on_time) AS on_time,
       round(count(*) FILTER (WHERE sc.on_time)::numeric / count(*), 4) AS on_time_rate
FROM stage_completions sc
LEFT JOIN agencies a ON a.code = sc.agency
WHERE sc.agency IS NOT NULL
GROUP BY sc.agency, a.name, sc.stage;
COMMENT ON VIEW stats_on_time_by_agency IS 'Completed stages per agency and stage, and how many on time.';

CREATE VIEW stats_by_agency AS
WITH handled AS (
    SELECT agency,
           count(*) AS complaints,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - submitted_at))
               / 3600 AS first_response_median,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - submitted_at))
               / 3600 AS first_response_p90,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - submitted_at))
               / 3600 AS resolution_median,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - submitted_at))
               / 3600 AS resolution_p90,
           count(*) FILTER (WHERE missed_deadline) AS missed_deadline,
           avg(rating) AS average_rating
    FROM complaint_status
    WHERE agency IS NOT NULL
    GROUP BY agency
), stages AS (
    SELECT agency, count(*) AS completed, count(*) FILTER (WHERE on_time) AS on_time
    FROM stage_completions
    WHERE agency IS NOT NULL
    GROUP BY agency
)
SELECT coalesce(h.agency, s.agency) AS agency, a.name,
       coalesce(h.complaints, 0) AS complaints,
       round(h.first_response_median::numeric, 2) AS first_response_median_hours,
       round(h.first_response_p90::numeric, 2) AS first_response_p90_hours,
       round(h.resolution_median::numeric, 2) AS resolution_median_hours,
       round(h.resolution_p90::numeric, 2) AS resolution_p90_hours,
       coalesce(s.completed, 0) AS stages_completed,
       round(s.on_time::numeric / nullif(s.completed, 0), 4) AS on_time_rate,
       coalesce(h.missed_deadline, 0) AS missed_deadline,
       round(h.average_rating, 2) AS average_rating
FROM handled h
FULL JOIN stages s USING (agency)
LEFT JOIN agencies a ON a.code = coalesce(h.agency, s.agency);
COMMENT ON VIEW stats_by_agency IS 'Per handling agency: complaints it handles now, median and 90th-percentile hours from submission to first response and to resolution, on-time rate of its completed stages, complaints with a missed deadline, average rating.';

CREATE VIEW stats_summary AS
SELECT count(*) AS complaints,
       count(*) FILTER (WHERE forwards > 0) AS forwarded,
       round(count(*) FILTER (WHERE forwards > 0)::numeric / nullif(count(*), 0), 4) AS forwarded_share,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - submitted_at))
              / 3600)::numeric, 2) AS first_response_median_hours,
       round((percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - submitted_at))
              / 3600)::numeric, 2) AS first_response_p90_hours,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - submitted_at))
              / 3600)::numeric, 2) AS resolution_median_hours,
       round((percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - submitted_at))
              / 3600)::numeric, 2) AS resolution_p90_hours,
       count(*) FILTER (WHERE missed_deadline) AS missed_deadline,
       count(rating) AS rated,
       round(avg(rating), 2) AS average_rating,
       (SELECT round(count(*) FILTER (WHERE on_time)::numeric / nullif(count(*), 0), 4)
        FROM stage_completions) AS on_time_rate
FROM complaint_status;
COMMENT ON VIEW stats_summary IS 'The whole system in one row: complaints, forwarded share, response and resolution hours (median, 90th percentile), missed deadlines, ratings, on-time rate.';
