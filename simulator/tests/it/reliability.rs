//! Reliability: faults, restarts and kills lose no record.
