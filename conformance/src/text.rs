//! Words and numbers as the reports and findings spell them: a count with its noun in the
//! singular or the plural, and a duration in milliseconds or seconds. Every finding and
//! every report writer says them the same way, so they live apart from all of them.

use std::time::Duration;

/// `n` and the noun, in the singular or the plural.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A duration as people read it: milliseconds with one decimal, or seconds from ten
/// seconds on.
pub(crate) fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_durations_read_as_words() {
        assert_eq!(count(1, "answer"), "1 answer");
        assert_eq!(count(0, "answer"), "0 answers");
        assert_eq!(millis(Duration::from_micros(1500)), "1.5 ms");
        assert_eq!(millis(Duration::from_secs(12)), "12.0 s");
    }
}
