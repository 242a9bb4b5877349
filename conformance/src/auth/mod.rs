//! The auth suite (`facecert auth`): certifies a remote-authentication server, the server
//! at a terminal's `remote_authentication_address` that decides the door from API 1.1 on.
//! It runs on the push suite's machinery (the exact-bytes client, the runner that records
//! findings, the load phase, verdicts and reports) with its own requests (`probes`), answer
//! rules (`answer`) and checks on the runner (`checks`).
//!
//! Order (`AUTH` in `run::plan`; each catalog row says in which phase its check runs): the
//! heartbeat (AH-01), then the baseline callback (a library person by face), whose answer every
//! other caller's is compared with, so that a server whose every answer has the same flaw
//! fails the answer check about that flaw (AU-*) and no caller check (AC-*); then every
//! kind of caller the guide lists and the blacklisted person, the answer rules over their
//! answers, the requests a terminal never sends (AB-*), each followed by a valid callback,
//! and last the load phase (AP-02) and the timing: every answer within the terminal's
//! callback timeout (AP-01).

pub(crate) mod answer;
pub(crate) mod checks;
pub mod probes;
