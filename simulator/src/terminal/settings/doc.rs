//! `docs/device-api-versions.md`, written from the very data the device obeys: the
//! profile's settings layouts, its `/v1/device/functions` rules and defaults, the
//! information route and the push configuration. A test keeps the published file equal
//! to [`markdown`], so the table cannot drift from the code.

use std::fmt::Write;

use serde_json::Value;

use super::Section;
use super::routes::device_info;
use crate::profile::ApiVersion;
use crate::wire::settings::{Field, defaults, describe};
use crate::wire::{DeviceFunctions, MAX_EVENT_DEST_BYTES, Subscription};

/// The serial number the information example is rendered with (the guide's S8).
const EXAMPLE_SN: &str = "PSC800C0MC22G00025";

/// One row of a route's table: a field and, per version, its cell (`None`: the version
/// does not have the field).
struct Row {
    name: String,
    cells: Vec<Option<String>>,
}

/// The rows of a route from each version's fields, in the order they first appear.
fn rows(per_version: &[Option<Vec<(String, String)>>]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    for (i, fields) in per_version.iter().enumerate() {
        for (name, cell) in fields.iter().flatten() {
            let row = match rows.iter().position(|r| r.name == *name) {
                Some(at) => &mut rows[at],
                None => {
                    rows.push(Row {
                        name: name.clone(),
                        cells: vec![None; per_version.len()],
                    });
                    rows.last_mut().expect("just pushed")
                }
            };
            row.cells[i] = Some(cell.clone());
        }
    }
    rows
}

fn header(out: &mut String) {
    out.push_str("| Field |");
    for v in ApiVersion::ALL {
        let _ = write!(out, " {v} |");
    }
    out.push_str("\n|---|");
    for _ in ApiVersion::ALL {
        out.push_str("---|");
    }
    out.push('\n');
}

/// A route's table; a version without the route shows `404` in a row of its own.
fn table(out: &mut String, per_version: &[Option<Vec<(String, String)>>]) {
    header(out);
    if per_version.iter().any(Option::is_none) {
        out.push_str("| *(route)* |");
        for fields in per_version {
            out.push_str(if fields.is_some() { " ✓ |" } else { " 404 |" });
        }
        out.push('\n');
    }
    for row in rows(per_version) {
        let _ = write!(out, "| `{}` |", row.name);
        for (cell, fields) in row.cells.iter().zip(per_version) {
            match (cell, fields) {
                (Some(text), _) => {
                    let _ = write!(out, " {text} |");
                }
                (None, Some(_)) => out.push_str(" — |"),
                (None, None) => out.push_str(" |"),
            }
        }
        out.push('\n');
    }
}

fn json_text(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 40 {
        "(see below)".into()
    } else {
        text.replace('|', "\\|")
    }
}

/// A settings field's cell: type and values, whether required, its factory value.
fn setting_cell(field: &Field, factory: &Value) -> String {
    let required = if field.required { ", **required**" } else { "" };
    format!(
        "{}{required}; `{}`",
        describe(&field.kind),
        json_text(factory)
    )
}

fn settings_section(out: &mut String, section: Section) {
    let per_version: Vec<_> = ApiVersion::ALL
        .iter()
        .map(|v| {
            let fields = section.fields(v.profile())?;
            let factory = defaults(fields);
            Some(
                fields
                    .iter()
                    .map(|f| (f.name.to_string(), setting_cell(f, &factory[f.name])))
                    .collect(),
            )
        })
        .collect();
    let _ = writeln!(out, "## `/v1/device/{}`\n", section.name());
    if section == Section::Antiepidemic {
        out.push_str(
            "On the S8 alone (serial numbers starting `PSC8`); every other model answers \
             404.\n\n",
        );
    }
    table(out, &per_version);
    out.push('\n');
}

fn functions_section(out: &mut String) {
    let per_version: Vec<_> = ApiVersion::ALL
        .iter()
        .map(|v| {
            let rules = v.profile().functions_rules();
            let factory =
                serde_json::to_value(DeviceFunctions::defaults(&rules)).unwrap_or(Value::Null);
            Some(
                rules
                    .fields()
                    .into_iter()
                    .map(|(name, kind, required)| {
                        let required = if required { ", **required**" } else { "" };
                        let cell = format!("{kind}{required}; `{}`", json_text(&factory[name]));
                        (name.to_string(), cell)
                    })
                    .collect(),
            )
        })
        .collect();
    out.push_str("## `/v1/device/functions`\n\n");
    out.push_str(
        "`auth_mode` 2 is refused with 400 where the version names it (1.1 to 1.2.1: never \
         described; 1.3: reserved).\n\n",
    );
    table(out, &per_version);
    out.push('\n');
}

fn info_section(out: &mut String) {
    let per_version: Vec<_> = ApiVersion::ALL
        .iter()
        .map(|v| {
            let info = serde_json::to_value(device_info(v.profile(), EXAMPLE_SN, "admin"))
                .unwrap_or(Value::Null);
            let Value::Object(map) = info else {
                return None;
            };
            Some(
                map.into_iter()
                    .map(|(name, value)| {
                        let kind = if value.is_object() {
                            "object"
                        } else {
                            "string"
                        };
                        (name, format!("{kind}; `{}`", json_text(&value)))
                    })
                    .collect(),
            )
        })
        .collect();
    out.push_str("## `/v1/device/info` (GET only)\n\n");
    let _ = writeln!(
        out,
        "Rendered for the S8 serial number `{EXAMPLE_SN}`; `model_ver` lists the algorithm \
         versions.\n"
    );
    table(out, &per_version);
    out.push('\n');
}

fn subscribe_section(out: &mut String) {
    let factory = serde_json::to_value(Subscription::default()).unwrap_or(Value::Null);
    let per_version: Vec<_> = ApiVersion::ALL
        .iter()
        .map(|_| {
            Some(vec![
                (
                    crate::wire::field::EVENT_DEST.to_string(),
                    format!(
                        "string ≤{MAX_EVENT_DEST_BYTES} B, http(s) URL, **required**; `{}`",
                        json_text(&factory[crate::wire::field::EVENT_DEST])
                    ),
                ),
                (
                    crate::wire::field::ENABLED.to_string(),
                    format!(
                        "bool (absent: true); `{}`",
                        json_text(&factory[crate::wire::field::ENABLED])
                    ),
                ),
            ])
        })
        .collect();
    out.push_str("## `/v1/event/subscribe`\n\n");
    table(out, &per_version);
    out.push('\n');
}

/// The document: per route, one row per field and one column per API version, each cell
/// the field's type and values as a POST is validated, whether it is required, and its
/// factory value as a GET answers it (`—`: the version has no such field).
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "# Device API layouts by version\n\n\
         Generated from the API profiles (`facesim::profile`, `wire::layouts`); do not edit. \
         Refresh with `UPDATE_EXPECT=1 cargo test -p facesim --test it layouts`.\n\n\
         Each cell: the type and values a `POST` accepts, **required** where a POST without \
         the field is refused, then the factory value a `GET` answers. `—`: the version has \
         no such field (a GET leaves it out; a POST ignores it). A GET answers every field of \
         its version; every POST answers `{\"code\": 200, \"msg\": \"OK\", \"data\": null}`; \
         a refused POST answers 400 and changes nothing; a route the version lacks answers \
         the 404 envelope. Unknown fields are ignored.\n\n",
    );
    functions_section(&mut out);
    for section in Section::ALL {
        settings_section(&mut out, section);
    }
    info_section(&mut out);
    subscribe_section(&mut out);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
