"""Materials: the documents behind each step (lists, uploads, completeness, generated forms)."""
