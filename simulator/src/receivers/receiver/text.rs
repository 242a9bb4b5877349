//! The small rules of the receiver's text that its push and callback routes share: screen
//! tips cut to the recommended length, and what counts as a JSON Content-Type. A leaf, so
//! that the callback routes need not name the receiver above them.

use crate::wire::RECOMMENDED_TIPS_CHARS;

/// Cuts screen text to the recommended length, counting characters (names are often CJK).
pub fn fit_tips(text: &str) -> String {
    let cut: String = text.chars().take(RECOMMENDED_TIPS_CHARS).collect();
    cut.trim_end().to_string()
}

/// Whether a Content-Type names JSON; parameters such as `charset` are fine.
pub fn is_json_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}
