//! Where a device pushes: the subscription, its validated destination and why a
//! subscription was refused.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::MAX_EVENT_DEST_BYTES;
use super::json_type;

use super::field;
/// The push configuration: where events go and whether pushing is on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Subscription {
    /// Spelled `""` on the wire and on disk when no destination is set, as the device
    /// answers before any configuration; any other value must be a valid [`Destination`].
    #[serde(
        serialize_with = "serialize_dest_or_empty",
        deserialize_with = "deserialize_dest_or_empty"
    )]
    #[schemars(with = "String")]
    pub event_dest: Option<Destination>,
    pub enabled: bool,
}

impl Subscription {
    /// Where pushing goes, when it is on: enabled and a destination set.
    pub fn active(&self) -> Option<&Destination> {
        self.event_dest.as_ref().filter(|_| self.enabled)
    }

    /// The destination as the API spells it, `""` when none is set.
    pub fn event_dest_str(&self) -> &str {
        self.event_dest.as_ref().map_or("", Destination::as_str)
    }
}

/// A receiver URL that passed [`validate_dest`]: an absolute `http` or `https` URL with a
/// host, at most 1024 bytes. Validated once, where it enters (the device API, the stored
/// configuration, a command line), and then carried as is to the pusher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Exactly as given, which is what the API answers back.
    text: String,
    url: url::Url,
}

impl Destination {
    /// Validates `dest`.
    ///
    /// # Errors
    /// A [`SubscribeError`] saying what is wrong with it.
    pub fn parse(dest: &str) -> Result<Self, SubscribeError> {
        let url = validate_dest(dest)?;
        Ok(Self {
            text: dest.to_string(),
            url,
        })
    }

    /// The parsed URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// The URL as it was given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::str::FromStr for Destination {
    type Err = SubscribeError;

    fn from_str(s: &str) -> Result<Self, SubscribeError> {
        Self::parse(s)
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl schemars::JsonSchema for Destination {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Destination".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "maxLength": super::MAX_EVENT_DEST_BYTES,
            "description": "An absolute http or https URL with a host; \"\" for none."
        })
    }
}

impl Serialize for Destination {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Destination {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Destination::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Writes `Option<Destination>` as the device API spells it: `""` for none.
fn serialize_dest_or_empty<S: serde::Serializer>(
    dest: &Option<Destination>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(dest.as_ref().map_or("", Destination::as_str))
}

/// Reads `""` as no destination and anything else as a [`Destination`], refusing what
/// does not validate.
fn deserialize_dest_or_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Destination>, D::Error> {
    let text = String::deserialize(d)?;
    if text.is_empty() {
        return Ok(None);
    }
    Destination::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Why a `POST /v1/event/subscribe` body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscribeError {
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    #[error("body must be a JSON object, got {0}")]
    NotObject(&'static str),
    #[error("missing required field `event_dest`")]
    MissingDest,
    #[error("field `{field}` must be {expected}, got {found}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("`event_dest` is {0} bytes, at most 1024 are allowed")]
    DestTooLong(usize),
    #[error("`event_dest` is not an absolute URL: {0}")]
    BadUrl(String),
    #[error("`event_dest` scheme must be http or https, got `{0}`")]
    BadScheme(String),
    #[error("`event_dest` has no host")]
    NoHost,
}

/// Parses and validates a `POST /v1/event/subscribe` body. `event_dest` is required: an
/// absolute `http` or `https` URL with a host, at most 1024 bytes. `enabled` is optional;
/// when absent the push is enabled, since naming a destination is asking for events (send
/// `"enabled": false` to store a destination without pushing). Unknown fields are ignored,
/// as the device's other endpoints do.
///
/// # Errors
/// A [`SubscribeError`] saying what is wrong; nothing is stored on error.
pub fn parse_subscription(body: &[u8]) -> Result<Subscription, SubscribeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| SubscribeError::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(SubscribeError::NotObject(json_type(&value)));
    };
    let dest = match obj.get(field::EVENT_DEST) {
        None | Some(Value::Null) => return Err(SubscribeError::MissingDest),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(SubscribeError::WrongType {
                field: "event_dest",
                expected: "a string",
                found: json_type(other),
            });
        }
    };
    let enabled = match obj.get(field::ENABLED) {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(SubscribeError::WrongType {
                field: "enabled",
                expected: "a boolean",
                found: json_type(other),
            });
        }
    };
    Ok(Subscription {
        event_dest: Some(Destination::parse(&dest)?),
        enabled,
    })
}

/// Checks that `dest` is a usable receiver URL.
///
/// # Errors
/// A [`SubscribeError`] saying what is wrong with it.
pub fn validate_dest(dest: &str) -> Result<url::Url, SubscribeError> {
    if dest.len() > MAX_EVENT_DEST_BYTES {
        return Err(SubscribeError::DestTooLong(dest.len()));
    }
    let url = url::Url::parse(dest).map_err(|e| SubscribeError::BadUrl(e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(SubscribeError::BadScheme(url.scheme().to_string()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(SubscribeError::NoHost);
    }
    Ok(url)
}
