"""Clinical review: medical-necessity criteria, their evaluation and what automation may do."""
