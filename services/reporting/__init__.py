"""Period reports: build and write an organisation's report (`period_report`), and the
organisation-level views around it — which organisations a user may report on, the overdue
dashboard, the period choices (`org_views`)."""
