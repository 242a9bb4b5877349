//! The OpenAPI 3.1 document of a terminal's web API for one API version, written from the
//! route table (`routes`) the device's router reads, with the push and the
//! remote-authentication callback of that version as `webhooks` (their schemas from
//! `schema`). The device serves it at `/sim/openapi.json`; `docs/openapi/` holds a copy
//! per version.

use serde_json::{Map, Value, json};

use crate::profile::{ApiVersion, Profile};
use crate::routes::{self, Access, Answer, Body, Route, Shape};
use crate::wire::field as f;
use crate::wire::settings::{Field, Kind};

/// Where the push schemas' definitions go in the document.
const SCHEMAS: &str = "#/components/schemas/";

/// The whole document for a terminal of `api`.
pub fn document(api: ApiVersion) -> Value {
    let p = api.profile();
    let mut paths = Map::new();
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let mut schemas = Map::new();
    let mut shapes = Shapes {
        generator: &mut generator,
        profile: p,
        named: &mut schemas,
    };
    for route in routes::served(p) {
        let item = paths
            .entry(route.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is an object");
        item.insert(route.method.key().to_owned(), operation(route, &mut shapes));
    }
    schemas.insert("Envelope".into(), envelope(json!({})));
    schemas.extend(generator.take_definitions(true));
    let (push_defs, webhooks) = webhooks(api);
    schemas.extend(push_defs);
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": format!("Face terminal web API {} (simulated)", p.name),
            "version": p.name,
            "description": format!(
                "The web API of a SenseNebula Pass terminal speaking API {} (firmware {} and later), \
                 as facesim serves it. Every answer is the JSON envelope {{code, msg, data}}; a \
                 failure has a non-200 code and a matching non-2xx HTTP status. Log in with \
                 POST /v1/auth/login and send the token as `Authorization: Bearer <token>`.",
                p.name, p.firmware
            ),
        },
        "tags": routes::Tag::ALL.iter().map(|t| json!({"name": t.name(), "description": t.description()})).collect::<Vec<_>>(),
        "security": [{ "bearer": [] }],
        "paths": paths,
        "webhooks": webhooks,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" }
            },
            "schemas": schemas,
        },
    })
}

/// The schemas of the shapes a document uses: the wire types' from their definitions
/// (named components, by type), the settings sections' from the version's layout (named
/// components `Settings…`), the rest inline.
struct Shapes<'a> {
    generator: &'a mut schemars::SchemaGenerator,
    profile: &'a Profile,
    named: &'a mut Map<String, Value>,
}

impl Shapes<'_> {
    fn schema(&mut self, shape: Shape) -> Value {
        use crate::wire as w;
        let g = &mut *self.generator;
        let schema = match shape {
            Shape::Null => return json!({ "type": "null" }),
            Shape::Any | Shape::Overrides => return json!({ "type": "object" }),
            Shape::Settings(section) => {
                let name = format!("Settings{}{}", section[..1].to_uppercase(), &section[1..]);
                let schema = settings(self.profile, section);
                self.named.insert(name.clone(), schema);
                return json!({ "$ref": format!("{SCHEMAS}{name}") });
            }
            Shape::Login => g.subschema_for::<w::LoginRequest>(),
            Shape::LoginToken => g.subschema_for::<w::LoginToken>(),
            Shape::ErrorCodes => g.subschema_for::<Vec<w::ErrorCode>>(),
            Shape::Functions => g.subschema_for::<w::DeviceFunctions>(),
            Shape::Door => g.subschema_for::<w::DoorRequest>(),
            Shape::DeviceInfo => g.subschema_for::<w::DeviceInfo>(),
            Shape::Subscription => g.subschema_for::<w::Subscription>(),
            Shape::UserInput => g.subschema_for::<w::UserInput>(),
            Shape::User => g.subschema_for::<w::UserOutput>(),
            Shape::GroupInput => g.subschema_for::<w::GroupInput>(),
            Shape::Group => g.subschema_for::<w::GroupOutput>(),
            Shape::RuleInput => g.subschema_for::<w::RuleInput>(),
            Shape::Rule => g.subschema_for::<w::RuleOutput>(),
            Shape::Search => g.subschema_for::<w::SearchRequest>(),
            Shape::IdList => g.subschema_for::<w::IdList>(),
            Shape::UserPage => g.subschema_for::<w::Page<w::UserOutput>>(),
            Shape::GroupPage => g.subschema_for::<w::Page<w::GroupOutput>>(),
            Shape::RulePage => g.subschema_for::<w::Page<w::RuleOutput>>(),
            Shape::UserBatch => g.subschema_for::<w::UserBatch>(),
            Shape::GroupBatch => g.subschema_for::<w::GroupBatch>(),
            Shape::RuleBatch => g.subschema_for::<w::RuleBatch>(),
            Shape::IdBatch => g.subschema_for::<w::IdBatch>(),
            Shape::BatchErrors => g.subschema_for::<w::BatchErrors>(),
            Shape::SyncInfo => g.subschema_for::<w::SyncInfo>(),
            Shape::Quality => g.subschema_for::<Vec<w::QualityEntry>>(),
            Shape::Feature => g.subschema_for::<String>(),
            Shape::Certificate => g.subschema_for::<w::CertificateAnswer>(),
            Shape::LogEntries => g.subschema_for::<Vec<w::LogEntry>>(),
            // A history item is a record (the push schema's) with the user and groups of
            // its own; the query is checked field by field against the version's limits.
            Shape::RecordQuery => return json!({ "type": "object" }),
            Shape::RecordPage => return json!({ "type": "object" }),
        };
        schema.to_value()
    }
}

fn operation(route: &Route, shapes: &mut Shapes<'_>) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), json!(route.id));
    op.insert("summary".into(), json!(route.summary));
    op.insert("tags".into(), json!([route.tag.name()]));
    if route.access == Access::Open {
        op.insert("security".into(), json!([]));
    }
    let params: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "minLength": 1 } })
        })
        .collect();
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    match route.body {
        Body::None => {}
        Body::Json(shape) => {
            op.insert(
                "requestBody".into(),
                json!({ "required": shape != Shape::Overrides, "content": { "application/json": { "schema": shapes.schema(shape) } } }),
            );
        }
        Body::Multipart(parts) => {
            let file = json!({ "type": "string", "contentMediaType": "application/octet-stream" });
            let properties: Map<String, Value> = parts
                .iter()
                .map(|p| ((*p).to_owned(), file.clone()))
                .collect();
            op.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { "multipart/form-data": { "schema": {
                    "type": "object", "properties": properties, "required": parts,
                } } } }),
            );
        }
    }
    let failure = json!({
        "description": "A refusal: the envelope with a non-200 code and a matching status (401 without a valid token on guarded routes).",
        "content": { "application/json": { "schema": { "$ref": format!("{SCHEMAS}Envelope") } } },
    });
    let success = match route.answer {
        Answer::Envelope(shape) => {
            json!({ "200": { "description": "Done: code 200.", "content": { "application/json": { "schema": envelope(shapes.schema(shape)) } } } })
        }
        Answer::WebSocket => json!({
            "101": { "description": "The switch to the WebSocket; each text message is a record as JSON." }
        }),
        Answer::Metrics => json!({
            "200": { "description": "The figures in the OpenMetrics text format.", "content": {
                "application/openmetrics-text": { "schema": { "type": "string" } } } }
        }),
        Answer::Document => json!({
            "200": { "description": "This OpenAPI document.", "content": { "application/json": { "schema": { "type": "object" } } } }
        }),
    };
    let mut responses = success.as_object().cloned().unwrap_or_default();
    responses.insert("default".into(), failure);
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// The envelope around `data`.
fn envelope(data: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            f::CODE: { "type": "integer" },
            f::MSG: { "type": "string" },
            f::DATA: data,
        },
        "required": [f::CODE, f::MSG],
    })
}

/// A settings section as its version's layout has it.
fn settings(p: &Profile, section: &str) -> Value {
    let l = &p.settings;
    let fields: &[Field] = match section {
        "recognize" => l.recognize,
        "access" => l.access,
        "system" => l.system,
        "time" => l.time,
        "custom" => l.custom,
        _ => l.antiepidemic.unwrap_or(&[]),
    };
    fields_schema(fields)
}

fn fields_schema(fields: &[Field]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| (field.name.to_owned(), kind_schema(&field.kind)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn kind_schema(kind: &Kind) -> Value {
    match *kind {
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::BoolOrBit => json!({ "anyOf": [{ "type": "boolean" }, { "enum": [0, 1] }] }),
        Kind::Int(lo, hi) => json!({ "type": "integer", "minimum": lo, "maximum": hi }),
        Kind::OneOf(values) => json!({ "enum": values }),
        Kind::Float {
            lo,
            hi,
            lo_inclusive,
            hi_inclusive,
        } => {
            let low = if lo_inclusive {
                "minimum"
            } else {
                "exclusiveMinimum"
            };
            let high = if hi_inclusive {
                "maximum"
            } else {
                "exclusiveMaximum"
            };
            json!({ "type": "number", low: lo, high: hi })
        }
        Kind::LooseInt(lo, hi) => json!({ "anyOf": [
            { "type": "integer", "minimum": lo, "maximum": hi },
            { "type": "string", "pattern": "^-?[0-9]+$", "description": format!("a number from {lo} to {hi}, as text") },
        ] }),
        Kind::Text(max) => json!({
            "type": "string", "maxLength": max, "description": format!("at most {max} bytes of UTF-8")
        }),
        Kind::Clock => {
            json!({ "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$" })
        }
        Kind::Object(fields) => fields_schema(fields),
        Kind::List(max, fields) => {
            json!({ "type": "array", "maxItems": max, "items": fields_schema(fields) })
        }
    }
}

/// The push (and from 1.1 the callback) as webhooks, with their schemas' definitions.
fn webhooks(api: ApiVersion) -> (Map<String, Value>, Value) {
    let doc = crate::schema::document(api);
    let mut defs = doc
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for def in defs.values_mut() {
        rebase(def);
    }
    let exchange = |summary: &str, request: &str, answer: &str| {
        json!({ "post": {
            "summary": summary,
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": format!("{SCHEMAS}{request}") } } } },
            "responses": { "200": { "description": "The receiver's answer.", "content": { "application/json": { "schema": { "$ref": format!("{SCHEMAS}{answer}") } } } } },
        } })
    };
    let mut hooks = Map::new();
    hooks.insert(
        "push".into(),
        exchange(
            "A record (or from 1.3 an alarm) POSTed to the subscription's event_dest",
            "event",
            "answer",
        ),
    );
    if defs.contains_key("callback") {
        hooks.insert(
            "remoteAuthentication".into(),
            exchange(
                "The remote-authentication callback: the server decides the door",
                "callback",
                "callback_answer",
            ),
        );
    }
    (defs, Value::Object(hooks))
}

/// Points a push schema's `#/$defs/…` references at the document's components.
fn rebase(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), v) {
                    ("$ref", Value::String(target)) => {
                        if let Some(name) = target.strip_prefix("#/$defs/") {
                            *target = format!("{SCHEMAS}{name}");
                        }
                    }
                    (_, v) => rebase(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rebase),
        _ => {}
    }
}
