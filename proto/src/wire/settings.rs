//! What a settings field is ([`Field`], [`Kind`]), with the one validator of a settings body: every field's type and range,
//! required fields, unknown fields ignored. The field tables themselves, one per API
//! version, are in `wire::layouts`. Floats are kept as the device keeps them, 32-bit, and
//! answered widened (`0.98` comes back as `0.9800000190734863`).

use serde_json::{Map, Value};

/// Largest picture in `/v1/device/custom`, as base64 text (4 MB decoded).
pub const MAX_PICTURE_TEXT: usize = 4 * 1024 * 1024 / 3 * 4 + 4;

/// What a setting holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Bool,
    /// `true`/`false` or `0`/`1` (examples send `0`), kept as a bool.
    BoolOrBit,
    /// An integer in the inclusive range.
    Int(i64, i64),
    /// One of these integers.
    OneOf(&'static [i64]),
    /// A number `lo < x < hi` (`≤` at an end marked inclusive), kept as f32.
    Float {
        lo: f64,
        hi: f64,
        lo_inclusive: bool,
        hi_inclusive: bool,
    },
    /// A number or a numeric string in the inclusive range, kept as a number.
    LooseInt(i64, i64),
    /// A string of at most this many bytes.
    Text(usize),
    /// `"HH:MM:SS"`.
    Clock,
    /// An object with these fields.
    Object(&'static [Field]),
    /// An array of at most `max` objects with these fields.
    List(usize, &'static [Field]),
}

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// The factory value as JSON text.
    pub default: &'static str,
}

/// A section's factory values.
pub fn defaults(fields: &[Field]) -> Map<String, Value> {
    let mut map = Map::new();
    for field in fields {
        let mut value: Value = serde_json::from_str(field.default).unwrap_or(Value::Null);
        if let (Kind::Object(sub), Value::Object(_)) = (field.kind, &value) {
            value = Value::Object(defaults(sub));
        }
        if let Kind::Float { .. } = field.kind
            && let Some(x) = value.as_f64()
        {
            value = widen(x);
        }
        map.insert(field.name.into(), value);
    }
    map
}

/// Widens the f32 settings of `map` again after a round trip through JSON text, whose
/// parser may land an ulp off the widened value (serde_json's default float parser).
pub fn rewiden(fields: &[Field], map: &mut Map<String, Value>) {
    for field in fields {
        if let Kind::Float { .. } = field.kind
            && let Some(v) = map.get_mut(field.name)
            && let Some(x) = v.as_f64()
        {
            *v = widen(x);
        }
    }
}

/// `x` stored as f32 and widened back, as the device answers thresholds.
fn widen(x: f64) -> Value {
    serde_json::Number::from_f64(f64::from(x as f32)).map_or(Value::Null, Value::Number)
}

fn check(field: &Field, value: &Value, path: &str) -> Result<Value, String> {
    let name = format!("{path}{}", field.name);
    let wrong = |what: &str| format!("{name} must be {what}, got {value}");
    Ok(match field.kind {
        Kind::Bool => Value::Bool(value.as_bool().ok_or_else(|| wrong("true or false"))?),
        Kind::BoolOrBit => match value {
            Value::Bool(b) => Value::Bool(*b),
            Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                Value::Bool(n.as_i64() == Some(1))
            }
            _ => return Err(wrong("true, false, 0 or 1")),
        },
        Kind::Int(lo, hi) => match value.as_i64() {
            Some(n) if (lo..=hi).contains(&n) => Value::from(n),
            _ => return Err(wrong(&format!("an integer from {lo} to {hi}"))),
        },
        Kind::OneOf(values) => match value.as_i64() {
            Some(n) if values.contains(&n) => Value::from(n),
            _ => return Err(wrong(&format!("one of {values:?}"))),
        },
        Kind::Float {
            lo,
            hi,
            lo_inclusive,
            hi_inclusive,
        } => match value.as_f64() {
            Some(x)
                if (x > lo || (lo_inclusive && x == lo))
                    && (x < hi || (hi_inclusive && x == hi)) =>
            {
                widen(x)
            }
            _ => {
                let lop = if lo_inclusive { "<=" } else { "<" };
                let hop = if hi_inclusive { "<=" } else { "<" };
                return Err(wrong(&format!("a number {lo} {lop} x {hop} {hi}")));
            }
        },
        Kind::LooseInt(lo, hi) => {
            let n = match value {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if (lo..=hi).contains(&n) => Value::from(n),
                _ => {
                    return Err(wrong(&format!(
                        "a number (or numeric string) from {lo} to {hi}"
                    )));
                }
            }
        }
        Kind::Text(max) => match value.as_str() {
            Some(s) if s.len() <= max => Value::String(s.into()),
            Some(s) => return Err(format!("{name} is {} bytes; at most {max}", s.len())),
            None => return Err(wrong("a string")),
        },
        Kind::Clock => {
            let ok = value.as_str().is_some_and(|s| {
                let parts: Vec<&str> = s.split(':').collect();
                parts.len() == 3
                    && parts.iter().all(|p| p.len() == 2)
                    && parts[0].parse::<u8>().is_ok_and(|h| h < 24)
                    && parts[1].parse::<u8>().is_ok_and(|m| m < 60)
                    && parts[2].parse::<u8>().is_ok_and(|s| s < 60)
            });
            if !ok {
                return Err(wrong("a time \"HH:MM:SS\""));
            }
            value.clone()
        }
        Kind::Object(sub) => {
            let Value::Object(map) = value else {
                return Err(wrong("an object"));
            };
            Value::Object(validate_fields(sub, map, &format!("{name}."), false)?)
        }
        Kind::List(max, sub) => {
            let Value::Array(items) = value else {
                return Err(wrong("an array"));
            };
            if items.len() > max {
                return Err(format!("{name} has {} entries; at most {max}", items.len()));
            }
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let Value::Object(map) = item else {
                    return Err(format!("{name}[] must be objects"));
                };
                out.push(Value::Object(validate_fields(
                    sub,
                    map,
                    &format!("{name}[]."),
                    true,
                )?));
            }
            Value::Array(out)
        }
    })
}

/// Validates the known fields of `body` (unknown ones are dropped); with `full`, also
/// that required fields are present.
fn validate_fields(
    fields: &[Field],
    body: &Map<String, Value>,
    path: &str,
    full: bool,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for field in fields {
        match body.get(field.name) {
            Some(value) => {
                out.insert(field.name.into(), check(field, value, path)?);
            }
            None if full && field.required => {
                return Err(format!("{path}{} is required", field.name));
            }
            None => {}
        }
    }
    Ok(out)
}

/// What of a stored section `fields` still holds: the fields it has whose values it
/// accepts (nested objects field by field). Everything else is dropped, so that the
/// factory values of this layout take its place; this is how settings stored under one
/// API version are read under another.
pub fn conform(fields: &[Field], stored: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for field in fields {
        let Some(value) = stored.get(field.name) else {
            continue;
        };
        let kept = match (field.kind, value) {
            (Kind::Object(sub), Value::Object(map)) => Some(Value::Object(conform(sub, map))),
            _ => check(field, value, "").ok(),
        };
        if let Some(kept) = kept {
            out.insert(field.name.into(), kept);
        }
    }
    out
}

/// A field's type and values in a few words, for the generated documentation.
pub fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Bool => "bool".into(),
        Kind::BoolOrBit => "bool (or 0/1)".into(),
        Kind::Int(lo, hi) => format!("int {lo}–{hi}"),
        Kind::OneOf(values) => format!(
            "int {}",
            values
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join("/")
        ),
        Kind::Float {
            lo,
            hi,
            lo_inclusive,
            hi_inclusive,
        } => {
            let lop = if *lo_inclusive { "≤" } else { "<" };
            let hop = if *hi_inclusive { "≤" } else { "<" };
            format!("number {lo} {lop} x {hop} {hi}")
        }
        Kind::LooseInt(lo, hi) => format!("int {lo}–{hi} (or numeric string)"),
        Kind::Text(MAX_PICTURE_TEXT) => "base64 string ≤4 MB decoded".into(),
        Kind::Text(max) => format!("string ≤{max} B"),
        Kind::Clock => "string HH:MM:SS".into(),
        Kind::Object(sub) => format!(
            "object {{{}}}",
            sub.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
        ),
        Kind::List(max, sub) => format!(
            "array ≤{max} × {{{}}}",
            sub.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Validates a POST body of a section and merges it over `current`: required fields
/// must be present, nested objects merge field by field.
///
/// # Errors
/// A message naming the first bad field.
pub fn merge(
    fields: &[Field],
    current: &Map<String, Value>,
    body: &[u8],
) -> Result<Map<String, Value>, String> {
    let body: Value =
        serde_json::from_slice(body).map_err(|e| format!("body is not valid JSON: {e}"))?;
    let Value::Object(body) = body else {
        return Err(format!(
            "body must be a JSON object, got {}",
            super::json_type(&body)
        ));
    };
    let given = validate_fields(fields, &body, "", true)?;
    let mut merged = current.clone();
    for (name, value) in given {
        match (merged.get_mut(&name), value) {
            (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
            (_, value) => {
                merged.insert(name, value);
            }
        }
    }
    Ok(merged)
}
