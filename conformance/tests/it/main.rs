//! Integration tests for facecert.
