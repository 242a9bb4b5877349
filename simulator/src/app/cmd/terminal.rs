//! One simulated terminal's configuration from the flags every terminal takes
//! (`TerminalArgs`): what `facesim device` runs once and `facesim fleet` once per terminal,
//! validated in one place so that both refuse the same flags with the same words.

use std::path::PathBuf;
use std::time::Duration;

use facesim::access::AccountConfig;
use facesim::clock;
use facesim::device::{Backoff, DeviceConfig};
use facesim_proto::wire::{Destination, Subscription};

use super::shared::CmdError;
use crate::app::cli::{TerminalArgs, UsageError, check_rate, push_options};

/// A terminal's configuration, but for the serial number and state directory, which each
/// command gives its own way.
pub(crate) struct Terminal {
    /// The device's configuration, with an empty `sn` and `state_dir`.
    pub(crate) device: DeviceConfig,
    /// The subscription of a first start (`--event-dest`).
    pub(crate) initial: Option<Subscription>,
    pub(crate) reboot_time: Duration,
    /// The password is the default one, which the command prints at start.
    pub(crate) default_password: bool,
}

/// Validates the shared flags; `auth_required` is false under `facesim device --no-auth`.
///
/// # Errors
/// [`CmdError::Usage`] for a rate, queue cap, receiver or account the terminal cannot use.
pub(crate) fn terminal(args: &TerminalArgs, auth_required: bool) -> Result<Terminal, CmdError> {
    let synth = args.synth.config()?;
    let rate = check_rate("--rate", args.rate, 0.0)?;
    let mut push = push_options(&args.trust)?;
    push.api = synth.api;
    if args.queue_cap == 0 {
        return Err(UsageError("--queue-cap must be at least 1".into()).into());
    }
    let initial = match &args.event_dest {
        Some(dest) => Some(Subscription {
            event_dest: Some(
                Destination::parse(dest).map_err(|e| UsageError(format!("--event-dest: {e}")))?,
            ),
            enabled: true,
        }),
        None => None,
    };
    let account = AccountConfig {
        username: args.username.clone(),
        password: args
            .password
            .clone()
            .unwrap_or_else(|| facesim::access::DEFAULT_PASSWORD.into()),
        required: auth_required,
    };
    if account.username.is_empty() || account.password.is_empty() {
        return Err(UsageError("--username and --password must not be empty".into()).into());
    }
    Ok(Terminal {
        device: DeviceConfig {
            sn: String::new(),
            state_dir: PathBuf::new(),
            synth,
            rate,
            arrival: args.arrival,
            push,
            queue_cap: args.queue_cap,
            backoff: Backoff::default(),
            clock: clock::system(),
            auth_timing: facesim::remote::AuthTiming::default(),
            account,
        },
        initial,
        reboot_time: Duration::from_millis(args.reboot_time),
        default_password: args.password.is_none(),
    })
}
