//! The bodies of the device's login routes (`/v1/auth/login`, `/v1/auth/errors`) and the
//! JSON parts of the token it issues. Pure data: signing and checking live in `access`.

use serde::{Deserialize, Serialize};

/// Login refused: the user name is not the device's account.
pub const CODE_ACCOUNT_NOT_EXIST: i64 = 1000;
/// Login refused: the password is wrong.
pub const CODE_PASSWORD_WRONG: i64 = 1001;
/// The `iss` claim every token of the device carries.
pub const TOKEN_ISSUER: &str = "SenseTime";

/// `POST /v1/auth/login`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoginRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Token lifetime in minutes.
    #[serde(default, rename = "validTime", skip_serializing_if = "Option::is_none")]
    pub valid_time: Option<i64>,
}

/// The `data` of a successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoginToken {
    pub token: String,
}

/// The token's header, as the device's tokens have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenHeader {
    pub alg: String,
    pub typ: String,
}

impl TokenHeader {
    /// `{"alg":"HS256","typ":"JWT"}`.
    pub fn hs256() -> Self {
        Self {
            alg: "HS256".into(),
            typ: "JWT".into(),
        }
    }
}

/// The token's claims, declared in the order the device serialises them (alphabetical).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issue time, Unix seconds.
    pub iat: i64,
    pub iss: String,
    /// The account's user name.
    #[serde(rename = "userId")]
    pub user_id: String,
}

/// One entry of `GET /v1/auth/errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorCode {
    pub code: i64,
    pub msg: String,
}

/// The codes `GET /v1/auth/errors` lists: the guide's (1.3.0) and the ones the simulator
/// adds for failures the guide has no code for (400 validation, 413 too large).
pub fn error_codes() -> Vec<ErrorCode> {
    [
        (
            0,
            "Not define target code error message,please contact developer",
        ),
        (200, "OK"),
        (400, "Bad Request"),
        (401, "Unauthorized"),
        (404, "Not Found"),
        (405, "Method Not Allowed"),
        (413, "Payload Too Large"),
        (500, "Internal Server Error"),
        (CODE_ACCOUNT_NOT_EXIST, "Account Not Exist"),
        (CODE_PASSWORD_WRONG, "Password Wrong"),
    ]
    .into_iter()
    .map(|(code, msg)| ErrorCode {
        code,
        msg: msg.into(),
    })
    .collect()
}

/// Writes `value` as JSON in which every character outside printable ASCII, and each of
/// `>`, `?` and `~`, is a `\u` escape. Such text is ASCII, and no byte of it has its low
/// six bits at 62 or 63, so its base64url never contains `-` or `_` (see `access::jwt`).
pub fn json_base64_safe<T: Serialize>(value: &T) -> String {
    let plain = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        if matches!(c, ' '..='=' | '@'..='}') {
            out.push(c);
        } else {
            // Inside JSON text these characters can only occur within strings (the
            // serialiser escapes control characters itself), where `\u` escapes are valid.
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}
