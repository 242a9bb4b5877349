//! Ids of users, groups and rules as the API version has them: integers up to 1.2
//! (`1` to the profile's bound, exclusive), strings of 1 to 128 bytes from 1.2.1. Both a
//! JSON number and a string are accepted in either case and kept as a string; answers
//! give them back in the version's type.

use serde_json::Value;

use crate::profile::{Profile, UserIds};
use crate::wire::UserId;

/// Longest string id, in bytes.
pub const MAX_ID_BYTES: usize = 128;

/// Normalises an id sent as `value` for `what` ("user_id", …) to its stored string.
///
/// # Errors
/// A message naming the field when the id is missing, of the wrong type or out of range.
pub fn parse(value: Option<&Value>, what: &str, profile: &Profile) -> Result<String, String> {
    let text = match value {
        None | Some(Value::Null) => return Err(format!("{what} is required")),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(format!(
                "{what} must be a number or a string, got {}",
                crate::wire::json_type(other)
            ));
        }
    };
    parse_text(&text, what, profile)
}

/// [`parse`] for an id that arrived as text (a path segment).
///
/// # Errors
/// As [`parse`].
pub fn parse_text(text: &str, what: &str, profile: &Profile) -> Result<String, String> {
    match profile.user_ids {
        UserIds::Integer(bound) => match text.parse::<i64>() {
            Ok(n) if (1..bound).contains(&n) => Ok(n.to_string()),
            _ => Err(format!(
                "{what} must be an integer from 1 to {} under API {}, got {text:?}",
                bound - 1,
                profile.name
            )),
        },
        UserIds::Text => {
            if text.is_empty() || text.len() > MAX_ID_BYTES {
                Err(format!(
                    "{what} must be 1 to {MAX_ID_BYTES} bytes, got {}",
                    text.len()
                ))
            } else {
                Ok(text.to_string())
            }
        }
    }
}

/// Whether `value` means "no rule": absent, `null`, `0`, `""`.
pub fn is_none_id(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Number(n)) => n.as_i64() == Some(0),
        Some(Value::String(s)) => s.is_empty() || s == "0",
        Some(_) => false,
    }
}

/// A stored id in the version's answer type.
pub fn render(id: &str, profile: &Profile) -> UserId {
    match profile.user_ids {
        UserIds::Integer(_) => UserId::Int(id.parse().unwrap_or(0)),
        UserIds::Text => UserId::Text(id.to_string()),
    }
}

/// "No rule" in the version's answer type: `0` for integer ids (the vendor's client reads
/// it as a number and crashes on `""`), `""` for string ids.
pub fn render_none(profile: &Profile) -> UserId {
    match profile.user_ids {
        UserIds::Integer(_) => UserId::Int(0),
        UserIds::Text => UserId::Text(String::new()),
    }
}

/// A stored id as text, whatever type it was stored in.
pub fn text(id: &UserId) -> String {
    id.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ApiVersion;
    use serde_json::json;

    #[test]
    fn ids_follow_the_version() {
        let old = ApiVersion::V1_2.profile();
        let new = ApiVersion::V1_3.profile();
        assert_eq!(parse(Some(&json!(123)), "user_id", old), Ok("123".into()));
        assert_eq!(parse(Some(&json!("123")), "user_id", old), Ok("123".into()));
        assert!(parse(Some(&json!("abc")), "user_id", old).is_err());
        assert!(parse(Some(&json!(0)), "user_id", old).is_err());
        assert!(parse(Some(&json!(99_999_999)), "user_id", old).is_err());
        assert_eq!(parse(Some(&json!(123)), "user_id", new), Ok("123".into()));
        assert_eq!(parse(Some(&json!("a-b")), "user_id", new), Ok("a-b".into()));
        assert!(parse(Some(&json!("x".repeat(129))), "user_id", new).is_err());
        assert!(parse(Some(&json!("")), "user_id", new).is_err());
        assert!(parse(Some(&json!(true)), "user_id", new).is_err());
        assert!(parse(None, "user_id", new).is_err());
        assert_eq!(render("123", old), UserId::Int(123));
        assert_eq!(render("123", new), UserId::Text("123".into()));
        assert!(is_none_id(Some(&json!(0))) && is_none_id(Some(&json!(""))) && is_none_id(None));
        assert!(!is_none_id(Some(&json!(5))));
    }
}
