"""Casework: the use cases on one candidate — register, complete a step, exceptional paths and
corrections (`candidates`), the same commands with a logged-in user's access check and audit row
(`user_commands`, `case_commands`), a step's evidence form (`step_form`), rule-version moves
(`migration`), the record as read back (`queries`, `history`) and the command result shape
(`results`)."""
