//! The device's login tokens: HS256 JWTs shaped like the terminal's (header
//! `{"alg":"HS256","typ":"JWT"}`, claims `exp`, `iat`, `iss`, `userId` in that order),
//! signed with `ring`'s HMAC-SHA256 (already built for rustls, so no second crypto crate).
//!
//! The vendor's client decodes the header and claims with Java's *basic* Base64 decoder,
//! which rejects the base64url characters `-` and `_`. The JSON is therefore written with
//! [`wire::json_base64_safe`](crate::wire::json_base64_safe), whose output never encodes
//! to either; [`encode_segment`] checks this anyway and re-pads with leading spaces (valid
//! JSON whitespace that shifts every byte's position) should a future change break it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

use crate::wire::{self, TokenClaims, TokenHeader};

/// Why a presented token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    #[error("token is not three dot-separated segments")]
    Shape,
    #[error("token segment is not base64url")]
    Base64,
    #[error("token signature does not match")]
    Signature,
    #[error("token claims are not valid: {0}")]
    Claims(String),
    #[error("token expired at {exp} (now {now})")]
    Expired { exp: i64, now: i64 },
}

/// The base64url (unpadded) of `json`, free of `-` and `_`: padded with leading spaces
/// until it is (at most two tries are ever needed for the shift to move a byte off the
/// third position of its group; the escaping in `json_base64_safe` makes even that moot).
pub fn encode_segment(json: &str) -> String {
    let mut text = json.to_string();
    for _ in 0..8 {
        let encoded = URL_SAFE_NO_PAD.encode(text.as_bytes());
        if !encoded.contains(['-', '_']) {
            return encoded;
        }
        text.insert(0, ' ');
    }
    URL_SAFE_NO_PAD.encode(text.as_bytes())
}

/// Signs a token for `user` issued at `now` (Unix seconds), valid for `minutes`.
pub fn issue(key: &hmac::Key, user: &str, now: i64, minutes: i64) -> String {
    let header = encode_segment(&wire::json_base64_safe(&TokenHeader::hs256()));
    let claims = TokenClaims {
        exp: now + minutes * 60,
        iat: now,
        iss: wire::TOKEN_ISSUER.into(),
        user_id: user.into(),
    };
    let claims = encode_segment(&wire::json_base64_safe(&claims));
    let signing_input = format!("{header}.{claims}");
    let tag = hmac::sign(key, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// Checks a token's signature and expiry at `now` (Unix seconds); its claims when valid.
///
/// # Errors
/// [`TokenError`] saying what is wrong.
pub fn verify(key: &hmac::Key, token: &str, now: i64) -> Result<TokenClaims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Shape);
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Base64)?;
    let signing_input = &token[..header.len() + 1 + claims.len()];
    hmac::verify(key, signing_input.as_bytes(), &signature).map_err(|_| TokenError::Signature)?;
    let claims = URL_SAFE_NO_PAD
        .decode(claims)
        .map_err(|_| TokenError::Base64)?;
    let claims: TokenClaims =
        serde_json::from_slice(&claims).map_err(|e| TokenError::Claims(e.to_string()))?;
    if claims.exp <= now {
        return Err(TokenError::Expired {
            exp: claims.exp,
            now,
        });
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    use proptest::prelude::*;

    fn key() -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, b"test key")
    }

    #[test]
    fn tokens_have_the_devices_shape_and_lifetime() {
        let token = issue(&key(), "admin", 1_700_000_000, 5);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = URL_SAFE_NO_PAD.decode(parts[0]).unwrap();
        assert_eq!(header, br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            claims,
            r#"{"exp":1700000300,"iat":1700000000,"iss":"SenseTime","userId":"admin"}"#
        );
        let claims = verify(&key(), &token, 1_700_000_299).unwrap();
        assert_eq!(claims.user_id, "admin");
        assert_eq!(
            verify(&key(), &token, 1_700_000_300),
            Err(TokenError::Expired {
                exp: 1_700_000_300,
                now: 1_700_000_300
            })
        );
        let other = hmac::Key::new(hmac::HMAC_SHA256, b"another key");
        assert_eq!(
            verify(&other, &token, 1_700_000_000),
            Err(TokenError::Signature)
        );
        assert_eq!(verify(&key(), "a.b", 0), Err(TokenError::Shape));
    }

    proptest! {
        /// Whatever the user name, the header and claims decode with a basic (non-URL)
        /// Base64 decoder, as the vendor's client does, and give the name back.
        #[test]
        fn header_and_claims_never_encode_to_dash_or_underscore(
            user in any::<String>(),
            now in 0i64..4_000_000_000,
            minutes in 1i64..=1440,
        ) {
            let token = issue(&key(), &user, now, minutes);
            let parts: Vec<&str> = token.split('.').collect();
            for part in &parts[..2] {
                prop_assert!(!part.contains(['-', '_']), "{part}");
                prop_assert!(STANDARD_NO_PAD.decode(part).is_ok());
            }
            let claims = verify(&key(), &token, now).unwrap();
            prop_assert_eq!(claims.user_id, user);
            prop_assert_eq!(claims.exp - claims.iat, minutes * 60);
        }
    }
}
