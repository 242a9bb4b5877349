//! The auth suite's checks (AH-*, AU-*, AC-*, AB-*, AP-*): the heartbeat, each fact of the
//! answer to a callback, every kind of caller, requests that are not callbacks, and timing at
//! the door (`auth`).

use crate::auth::answer::{self, Over};
use crate::auth::checks as auth;
use crate::auth::probes::AuthFactory;
use crate::run::how::{Auth, Phase};
use crate::run::runner::Runner;

use super::table::{
    AUTH_ANSWER, AUTH_CONFIG, AUTH_EFFECT, AUTH_REQUEST, AUTH_WHEN, NOTES, Row, rows,
};

/// The group's rows, in catalog order.
pub(super) const ROWS: &[Row] = rows! {
    AH01,
        Must,
        AuthHeartbeat,
        AUTH_CONFIG,
        (from V1_2),
        "A GET on the callback URL (the terminal's heartbeat, every 30 s) is answered with HTTP 200.",
        [AuthHeartbeat405],
        Auth::Own(Phase::Opening, auth::heartbeat);
    AU01,
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "A valid callback (a library person recognised by face) is answered with HTTP 200 and a JSON object.",
        [],
        Auth::Rule(&answer::OBJECT, Over::Baseline);
    AU02,
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "The answer has `code` 200 and `msg`, a string.",
        [AuthNoEnvelope],
        Auth::Rule(&answer::ENVELOPE, Over::Taken);
    AU03,
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "The answer has `data`, an object, with `pass`.",
        [AuthNoPass, AuthNoEnvelope],
        Auth::Rule(&answer::PASS, Over::Taken);
    AU04,
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "The answer's `data.pass` is a boolean.",
        [AuthPassString],
        Auth::Rule(&answer::PASS_BOOL, Over::Taken);
    AU05,
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "The answer's `data.verify_code`, when present, is an integer from 1 to 5.",
        [AuthVerifyCodeRange],
        Auth::Rule(&answer::VERIFY_CODE, Over::Taken);
    AU06,
        Must,
        AuthAnswer,
        AUTH_ANSWER,
        (from V1_1),
        "The answer's optional fields have their documented types: `user_id` an integer up to 1.2 and a string from 1.2.1, `user_name`, `customtips` and `ic_number` strings, `verify_score` a number.",
        [AuthUserIdType],
        Auth::Rule(&answer::FIELD_TYPES, Over::Taken);
    // SHOULD: the guide does not say which wins, and the terminal follows `pass`; but a
    // server whose two answers disagree has a bug one of them shows.
    AU07,
        Should,
        AuthAnswer,
        AUTH_EFFECT,
        (from V1_1),
        "The answer's `verify_code` agrees with `pass`: 2 (recognised) when the door opens, another code when it stays shut.",
        [AuthVerifyContradicts],
        Auth::Rule(&answer::AGREES, Over::Taken);
    AC01,
        Must,
        AuthCallers,
        AUTH_WHEN,
        (from V1_1),
        "Library people verified by card, ID card, PIN or a face-vs-ID-card check (auth_mode 1) are answered like the baseline.",
        [],
        Auth::Callers(AuthFactory::library_callers);
    AC02,
        Must,
        AuthCallers,
        AUTH_WHEN,
        (from V1_1),
        "Strangers, whose callbacks carry no `user` (a face under auth_mode 3, a face-vs-ID-card check under 1), are answered like the baseline.",
        [AuthCrashStranger],
        Auth::Callers(AuthFactory::stranger_callers);
    AC03,
        Must,
        AuthCallers,
        AUTH_WHEN,
        (from V1_1),
        "QR-code callbacks, from library people and from strangers, are answered like the baseline.",
        [AuthCrashStranger],
        Auth::Callers(AuthFactory::qr_callers);
    // SHOULD: the server decides, and a site may let a blacklisted type through on
    // purpose; but a reference-minded server keeps them out, and an integrator wants to know.
    AC04,
        Should,
        AuthCallers,
        AUTH_EFFECT,
        (from V1_1),
        "A blacklisted person's callback is refused (`pass: false`).",
        [],
        Auth::Own(Phase::Compared, auth::blacklisted);
    AC05,
        Must,
        AuthCallers,
        AUTH_REQUEST,
        (from V1_1),
        "A callback with fields a later firmware may add is answered like the baseline.",
        [],
        Auth::Callers(|f| vec![f.unknown_fields()]);
    AB01,
        Must,
        AuthRobustness,
        AUTH_ANSWER,
        (from V1_1),
        "A request that is not a callback (not JSON, empty, a JSON array, an empty object, a push record) never opens the door.",
        [],
        Auth::Refuses(auth::opens_nothing);
    AB02,
        Should,
        AuthRobustness,
        AUTH_ANSWER,
        (from V1_1),
        "A request that is not a callback is refused with an HTTP status from 400 to 499.",
        [],
        Auth::Refuses(auth::refused);
    AB03,
        Must,
        AuthRobustness,
        AUTH_ANSWER,
        (from V1_1),
        "After each bad request the server still answers a valid callback like the baseline.",
        [],
        Auth::Refuses(auth::survived);
    AP01,
        Must,
        AuthTiming,
        NOTES,
        (from V1_1),
        "Every answer arrives within the terminal's callback timeout (--timeout-ms, from the first byte sent); past it the door stays shut.",
        [AuthSlow],
        Auth::Judged(Runner::timing);
    AP02,
        Must,
        AuthTiming,
        NOTES,
        (from V1_1),
        "Under load (--concurrency devices, --load-events callbacks, one in five a stranger's face) no callback fails and the p99 answer time stays within --p99-ms.",
        [AuthSlow, AuthCrashStranger],
        Auth::Own(Phase::Load, auth::load_phase);
};
