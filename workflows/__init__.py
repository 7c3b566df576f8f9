"""Background work: job functions, the outbox dispatcher and the RQ worker glue."""
