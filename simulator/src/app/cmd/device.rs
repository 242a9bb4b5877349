//! `facesim device`: one simulated terminal serving its API until stopped, from boot to
//! boot (reboots, factory resets and upgrades through its API) on the library's host.

use std::future::Future;

use super::{CmdError, Finish, Stop};
use crate::app::cli::{DeviceArgs, check_rate};
use facesim::clock;
use std::time::Duration;

use facesim::device::{Backoff, DeviceConfig};
use facesim::host::{Host, HostConfig};
use facesim::tls::CertPair;
use facesim_proto::wire::{Destination, Subscription};

/// Runs a device until `shutdown`.
///
/// # Errors
/// [`CmdError`] when the arguments, state directory, certificate or address are unusable.
pub async fn device(
    mut args: DeviceArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Finish, CmdError> {
    // Without --api-version the state directory's own version is taken, so that a
    // terminal upgraded through its API restarts as what it became.
    let asked = args.synth.api_version;
    if asked.is_none() {
        args.synth.api_version = facesim::maintenance::migrate::stored_version(&args.state)?;
    }
    let synth = args.synth.config()?;
    let rate = check_rate("--rate", args.rate, 0.0)?;
    let mut push = crate::app::cli::push_options(&args.trust)?;
    push.api = synth.api;
    if args.queue_cap == 0 {
        return Err(crate::app::cli::UsageError("--queue-cap must be at least 1".into()).into());
    }
    let initial = match &args.event_dest {
        Some(dest) => {
            let dest = Destination::parse(dest)
                .map_err(|e| crate::app::cli::UsageError(format!("--event-dest: {e}")))?;
            Some(Subscription {
                event_dest: Some(dest),
                enabled: true,
            })
        }
        None => None,
    };
    let sn = args
        .sn
        .clone()
        .unwrap_or_else(|| facesim::synth::device_sn(synth.seed, 0));
    let account = facesim::access::AccountConfig {
        username: args.username.clone(),
        password: args
            .password
            .clone()
            .unwrap_or_else(|| facesim::access::DEFAULT_PASSWORD.into()),
        required: !args.no_auth,
    };
    if account.username.is_empty() || account.password.is_empty() {
        return Err(crate::app::cli::UsageError(
            "--username and --password must not be empty".into(),
        )
        .into());
    }
    let defaulted = args.password.is_none();
    let cert = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Some(CertPair::load(cert, key)?),
        _ => None,
    };
    let host = Host::new(HostConfig {
        device: DeviceConfig {
            sn,
            state_dir: args.state.clone(),
            synth,
            rate,
            arrival: args.arrival,
            push,
            queue_cap: args.queue_cap,
            backoff: Backoff::default(),
            clock: clock::system(),
            auth_timing: facesim::remote::AuthTiming::default(),
            account: account.clone(),
        },
        api: asked,
        https: !args.plain_http,
        cert,
        reboot_time: Duration::from_millis(args.reboot_time),
        initial,
    });
    // The first boot happens before the address is taken, so that an unusable state
    // directory is reported without a listener ever being open.
    let first = host.first_boot()?;
    let device = first.device().clone();
    let (listener, addr) = super::bind(args.listen).await?;
    let scheme = if args.plain_http { "http" } else { "https" };
    let sub = device.subscription();
    tracing::info!(
        sn = device.sn(),
        api = %format!("{scheme}://{addr}/v1/event/subscribe"),
        state = %args.state.display(),
        event_dest = %sub.event_dest_str(),
        enabled = sub.enabled,
        "device ready"
    );
    if !account.required {
        tracing::info!("--no-auth: the API answers without credentials");
    } else if defaulted {
        tracing::info!(
            username = %account.username,
            password = %account.password,
            "web account (default password; set --password to change it)"
        );
    }
    if scheme == "https" && args.cert.is_none() {
        tracing::info!(cert = %device.with_store(|s| s.certificate_path()).display(), "clients can pin this certificate");
    }
    drop(device);
    let (stop, _keep) = Stop::after(shutdown);
    host.run_from(first, listener, stop.wait()).await?;
    Ok(Finish::Success)
}
