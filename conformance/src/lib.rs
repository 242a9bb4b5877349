//! facecert library.
