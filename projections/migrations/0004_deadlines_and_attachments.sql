CREATE SCHEMA IF NOT EXISTS projection;
SET LOCAL search_path TO projection, public;

-- Every open stage's deadline, known from the moment its clock starts (DeadlineSet), and the reporter's
-- attachments. open_deadlines maps a stage to [due_at in milliseconds since the epoch or null while paused,
-- breached]; deadline_stage, deadline_due_at and deadline_breached show its earliest stage. Rows written before
-- this migration keep the deadline they showed.
ALTER TABLE complaint_status
    ADD COLUMN attachment_urls text[] NOT NULL DEFAULT '{}',
    ADD COLUMN open_deadlines  jsonb  NOT NULL DEFAULT '{}';
UPDATE complaint_status
SET open_deadlines = jsonb_build_object(deadline_stage,
                                        jsonb_build_array((extract(epoch FROM deadline_due_at) * 1000)::bigint,
                                                          deadline_breached))
WHERE deadline_stage IS NOT NULL;

-- The views list the new columns: the internal view every stored field, the public one the attachment URLs
-- (never of a confidential report: those are not in the public view at all).
DROP VIEW public_complaint_status;
DROP VIEW internal_complaint_status;

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
       title, description, address, latitude, longitude, attachment_urls, anonymous,
       CASE WHEN anonymous THEN NULL ELSE reporter_name END AS reporter_name,
       status, agency, agency_name, unit, forwards, reopen_count,
       submitted_at, verified_at, dispositioned_at, acknowledged_at, follow_up_at, resolved_at, closed_at,
       rejected_at, withdrawn_at, deadline_stage, deadline_due_at, deadline_breached, missed_deadline,
       escalation_level, rating, last_event_at
FROM internal_complaint_status
WHERE NOT confidential;
COMMENT ON VIEW public_complaint_status IS 'Anyone: complaints that are not confidential; no contact details, no reporter ref, no name of an anonymous reporter.';
