//! Who may use the device API: the one web account (`--username`/`--password`), login
//! (`POST /v1/auth/login`) issuing HS256 tokens, the check of `Authorization: Bearer` and
//! `Basic` credentials, and the one guard filter wrapped around the whole route tree.
//!
//! Choices the guide leaves open, made here (and in the README):
//! - Open paths: everything under `/v1/auth/` (the vendor's client never sends a token
//!   there), `GET /v2/datasync/ping` (stated open), and the simulator's own `/sim/`
//!   control routes, which are not part of the terminal's API.
//! - The token key is 32 random bytes from the operating system, kept in the state
//!   directory (`jwt-secret`) so tokens survive a restart. It is the one value not derived
//!   from the seed: a key anybody could recompute from `--seed` would be no secret.
//! - [`ATTACK_THRESHOLD`] wrong passwords in a row, from any client, raise a
//!   password-attack alarm (10004) under API versions with alarms; the count then starts
//!   again, and a successful login resets it.

mod jwt;
pub(crate) mod routes;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;
use ring::rand::SecureRandom;

pub use jwt::{TokenError, encode_segment, issue, verify};

use crate::store::{StoreError, write_atomic};
use crate::wire::{self, LoginRequest};

/// The account's user name unless `--username` says otherwise.
pub const DEFAULT_USERNAME: &str = "admin";
/// The account's password unless `--password` says otherwise (printed at start).
pub const DEFAULT_PASSWORD: &str = "facesim-admin";
/// Token lifetime when `validTime` is absent, in minutes.
pub const DEFAULT_VALID_MINUTES: i64 = 5;
/// Longest token lifetime, in minutes (inclusive, as the Chinese guide and the SDK say).
pub const MAX_VALID_MINUTES: i64 = 1440;
/// Wrong passwords in a row that raise a password-attack alarm.
pub const ATTACK_THRESHOLD: u32 = 5;
/// The token key's file in the state directory.
pub const SECRET_FILE: &str = "jwt-secret";

/// The web account and whether the API demands credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountConfig {
    pub username: String,
    pub password: String,
    /// `false` (`--no-auth`): every route answers without credentials.
    pub required: bool,
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            username: DEFAULT_USERNAME.into(),
            password: DEFAULT_PASSWORD.into(),
            required: true,
        }
    }
}

/// Why a login was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The body is not a valid login request.
    #[error("{0}")]
    Invalid(String),
    /// Code 1000.
    #[error("Account Not Exist")]
    UnknownAccount,
    /// Code 1001; `attack` when this failure completes a run that raises the alarm.
    #[error("Password Wrong")]
    WrongPassword { attack: bool },
}

impl LoginError {
    /// The envelope code the device answers with.
    pub fn code(&self) -> i64 {
        match self {
            LoginError::Invalid(_) => 400,
            LoginError::UnknownAccount => wire::CODE_ACCOUNT_NOT_EXIST,
            LoginError::WrongPassword { .. } => wire::CODE_PASSWORD_WRONG,
        }
    }
}

/// Why a request's credentials were refused (always code 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Denied {
    #[error("Unauthorized: no Authorization header")]
    Missing,
    #[error("Unauthorized: Authorization must be `Bearer <token>` or `Basic <credentials>`")]
    Scheme,
    #[error("Unauthorized: {0}")]
    Token(#[from] TokenError),
    #[error("Unauthorized: wrong user name or password")]
    Basic,
}

/// The account, the token key and the run of failed logins.
pub struct Access {
    account: AccountConfig,
    key: hmac::Key,
    failures: AtomicU32,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("username", &self.account.username)
            .field("required", &self.account.required)
            .finish_non_exhaustive()
    }
}

impl Access {
    /// Loads the token key from `dir`, making and storing a new one the first time.
    ///
    /// # Errors
    /// [`StoreError`] when the key cannot be read or written, or is corrupt.
    pub fn open(dir: &Path, account: AccountConfig) -> Result<Self, StoreError> {
        let path = dir.join(SECRET_FILE);
        let secret = match std::fs::read_to_string(&path) {
            Ok(text) => STANDARD
                .decode(text.trim())
                .ok()
                .filter(|k| k.len() >= 32)
                .ok_or_else(|| StoreError::Corrupt {
                    path: path.clone(),
                    reason: "not a base64 key of at least 32 bytes".into(),
                })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = vec![0u8; 32];
                ring::rand::SystemRandom::new()
                    .fill(&mut key)
                    .map_err(|_| StoreError::Corrupt {
                        path: path.clone(),
                        reason: "the operating system gave no random bytes".into(),
                    })?;
                write_atomic(&path, STANDARD.encode(&key).as_bytes())?;
                key
            }
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        Ok(Self {
            account,
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            failures: AtomicU32::new(0),
        })
    }

    /// The account's user name.
    pub fn username(&self) -> &str {
        &self.account.username
    }

    /// Whether routes demand credentials.
    pub fn required(&self) -> bool {
        self.account.required
    }

    /// `POST /v1/auth/login` at `now` (Unix seconds): a token, or why not.
    ///
    /// # Errors
    /// [`LoginError`]; wrong passwords count towards the attack alarm.
    pub fn login(&self, body: &[u8], now: i64) -> Result<String, LoginError> {
        let req: LoginRequest = serde_json::from_slice(body)
            .map_err(|e| LoginError::Invalid(format!("body is not a login request: {e}")))?;
        let username = req
            .username
            .ok_or_else(|| LoginError::Invalid("username is required".into()))?;
        let password = req
            .password
            .ok_or_else(|| LoginError::Invalid("password is required".into()))?;
        let minutes = req.valid_time.unwrap_or(DEFAULT_VALID_MINUTES);
        if !(1..=MAX_VALID_MINUTES).contains(&minutes) {
            return Err(LoginError::Invalid(format!(
                "validTime {minutes} is out of range; use 0 < validTime <= {MAX_VALID_MINUTES} (minutes)"
            )));
        }
        if username != self.account.username {
            return Err(LoginError::UnknownAccount);
        }
        if password != self.account.password {
            let run = self.failures.fetch_add(1, Ordering::SeqCst) + 1;
            let attack = run >= ATTACK_THRESHOLD;
            if attack {
                self.failures.store(0, Ordering::SeqCst);
            }
            return Err(LoginError::WrongPassword { attack });
        }
        self.failures.store(0, Ordering::SeqCst);
        Ok(issue(&self.key, &username, now, minutes))
    }

    /// Checks a request's `Authorization` header (raw bytes) at `now`.
    ///
    /// # Errors
    /// [`Denied`] saying what is wrong.
    pub fn check(&self, authorization: Option<&[u8]>, now: i64) -> Result<(), Denied> {
        if !self.account.required {
            return Ok(());
        }
        let header = authorization.ok_or(Denied::Missing)?;
        let header = std::str::from_utf8(header).map_err(|_| Denied::Scheme)?;
        let (scheme, value) = header.trim().split_once(' ').ok_or(Denied::Scheme)?;
        let value = value.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            let claims = verify(&self.key, value, now)?;
            if claims.user_id != self.account.username {
                return Err(Denied::Token(TokenError::Claims(
                    "the token names another account".into(),
                )));
            }
            Ok(())
        } else if scheme.eq_ignore_ascii_case("basic") {
            let decoded = STANDARD.decode(value).map_err(|_| Denied::Basic)?;
            let expected = format!("{}:{}", self.account.username, self.account.password);
            if decoded == expected.as_bytes() {
                Ok(())
            } else {
                Err(Denied::Basic)
            }
        } else {
            Err(Denied::Scheme)
        }
    }
}

/// Whether `path` answers without credentials, as the route table marks it: the login and
/// the error table but not the certificate (which replaces what every client trusts, so
/// it needs the account), `/v2/datasync/ping`, the simulator's `/sim/*` routes and its
/// `/metrics` (which Prometheus scrapes without a login). A path no route has is not open.
pub fn is_open_path(path: &str) -> bool {
    facesim_proto::routes::is_open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(dir: &Path) -> Access {
        Access::open(dir, AccountConfig::default()).unwrap()
    }

    #[test]
    fn the_key_survives_a_restart_and_is_random_per_state_dir() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let login = br#"{"username":"admin","password":"facesim-admin"}"#;
        let token = access(a.path()).login(login, 100).unwrap();
        let bearer = format!("Bearer {token}");
        assert_eq!(access(a.path()).check(Some(bearer.as_bytes()), 101), Ok(()));
        assert!(matches!(
            access(b.path()).check(Some(bearer.as_bytes()), 101),
            Err(Denied::Token(TokenError::Signature))
        ));
    }

    #[test]
    fn five_wrong_passwords_in_a_row_are_an_attack() {
        let dir = tempfile::tempdir().unwrap();
        let access = access(dir.path());
        let wrong = br#"{"username":"admin","password":"nope"}"#;
        let right = br#"{"username":"admin","password":"facesim-admin"}"#;
        for _ in 0..4 {
            assert_eq!(
                access.login(wrong, 0),
                Err(LoginError::WrongPassword { attack: false })
            );
        }
        access.login(right, 0).unwrap();
        for _ in 0..4 {
            assert_eq!(
                access.login(wrong, 0),
                Err(LoginError::WrongPassword { attack: false })
            );
        }
        assert_eq!(
            access.login(wrong, 0),
            Err(LoginError::WrongPassword { attack: true })
        );
        assert_eq!(
            access.login(wrong, 0),
            Err(LoginError::WrongPassword { attack: false })
        );
    }

    #[test]
    fn open_paths_are_auth_datasync_ping_and_sim() {
        assert!(is_open_path("/v1/auth/login"));
        assert!(is_open_path("/v1/auth/errors"));
        assert!(is_open_path("/v2/datasync/ping"));
        assert!(is_open_path("/sim/stats"));
        assert!(!is_open_path("/v2/datasync/info"));
        assert!(!is_open_path("/v1/event/subscribe"));
        assert!(!is_open_path("/v1/authx"));
    }
}
