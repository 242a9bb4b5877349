//! `facesim device`: one simulated terminal serving its API until stopped, from boot to
//! boot (reboots, factory resets and upgrades through its API) on the library's host.

use std::future::Future;

use super::{CmdError, Finish, Stop};
use crate::app::cli::{ApiChoice, DeviceArgs};
use facesim::device::DeviceConfig;
use facesim::host::{Host, HostConfig};
use facesim::tls::CertPair;

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
    let asked = args.terminal.synth.one_version()?;
    if asked.is_none() {
        args.terminal.synth.api_version =
            facesim::maintenance::migrate::stored_version(&args.state)?.map(ApiChoice::One);
    }
    let terminal = super::terminal::terminal(&args.terminal, !args.no_auth)?;
    let account = terminal.device.account.clone();
    let defaulted = terminal.default_password;
    let sn = args
        .sn
        .clone()
        .unwrap_or_else(|| facesim::synth::device_sn(terminal.device.synth.seed, 0));
    let cert = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Some(CertPair::load(cert, key)?),
        _ => None,
    };
    let host = Host::new(HostConfig {
        device: DeviceConfig {
            sn,
            state_dir: args.state.clone(),
            ..terminal.device
        },
        api: asked,
        https: !args.plain_http,
        cert,
        reboot_time: terminal.reboot_time,
        initial: terminal.initial,
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
