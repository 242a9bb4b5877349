//! The envelope every device API answer is wrapped in, and who a device is (its identity
//! headers and its model).

use serde::{Deserialize, Serialize};

use super::{CODE_OK, field};
/// The envelope of every device API answer: `{"code", "msg", "data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub code: i64,
    pub msg: String,
    pub data: T,
}

impl<T> Envelope<T> {
    /// A success envelope around `data`.
    pub fn ok(data: T) -> Self {
        Self {
            code: CODE_OK,
            msg: "OK".into(),
            data,
        }
    }
}

/// An empty `data` object (`{}`), as the device answers a successful POST.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// Whether serial number `sn` is an S8's (the temperature-measuring model, whose serial
/// numbers start `PSC8`, as the guide's `PSC800C0MC22G00025`), which alone has
/// `/v1/device/antiepidemic`.
pub fn is_s8(sn: &str) -> bool {
    sn.starts_with("PSC8")
}

/// Who a device is, as the identity headers of API 1.2.1 and later say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The device model, such as `SPSC801C0FY01`.
    pub model: String,
    pub sn: String,
    /// The web login account (the guide says only "account information").
    pub account: String,
}

impl Identity {
    /// A device's identity, its model following from the serial number's family.
    pub fn of(sn: &str, account: &str) -> Self {
        let model = if is_s8(sn) {
            "SPSC801C0FY01"
        } else if sn.starts_with("PSC7") {
            "SPSC701C0FY01"
        } else {
            "SPS71HD01"
        };
        Self {
            model: model.into(),
            sn: sn.into(),
            account: account.into(),
        }
    }

    /// The four headers at Unix time `now` (seconds: the guide does not say, and every
    /// other timestamp of a record is in seconds).
    pub fn headers(&self, now: i64) -> [(&'static str, String); 4] {
        [
            (field::HEADER_MODEL, self.model.clone()),
            (field::HEADER_SN, self.sn.clone()),
            (field::HEADER_TIMESTAMP, now.to_string()),
            (field::HEADER_ACCOUNT, self.account.clone()),
        ]
    }
}
