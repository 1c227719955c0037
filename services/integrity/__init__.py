"""Records a county can trust: the audit log of web changes (`audit_log`), replay and hash-chain
verification (`verify`) and signed checkpoints of the chains kept outside the database
(`checkpoint`)."""
