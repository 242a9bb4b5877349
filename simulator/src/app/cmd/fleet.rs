//! `facesim fleet`: many full terminals in one process on the library's fleet, with a
//! progress line every few seconds and a summary across the fleet when it stops.

use std::future::Future;
use std::time::Duration;

use super::{CmdError, Finish, Stop};
use crate::app::cli::{ApiChoice, FleetArgs, FleetProfile, UsageError};
use facesim::device::DeviceConfig;
use facesim::fleet::{
    Addressing, BuildingConfig, Fault, Fleet, FleetConfig, FleetError, Members, Versions,
    parse_time_of_day,
};
use facesim::host::HostConfig;
use facesim::load::Shard;
use facesim_proto::wire::FleetTotal;

/// Runs a fleet until `shutdown`.
///
/// # Errors
/// [`CmdError`] when the arguments are unusable or a terminal cannot start.
pub async fn fleet(
    args: FleetArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Finish, CmdError> {
    let config = fleet_config(&args)?;
    let building = building_config(&args)?;
    let mut fleet = Fleet::start(config).await?;
    if let Some(building) = building {
        fleet = fleet.with_building(building)?;
        let plan = fleet.building().map(|b| b.plan());
        tracing::info!(
            people = args.occupants,
            floors = plan.as_ref().map_or(0, |p| p.floors),
            clock = args.clock,
            "building ready: plan, people and occupancy under the control API"
        );
    }
    let manifest = fleet.manifest();
    tracing::info!(
        terminals = manifest.devices.len(),
        first = %manifest.devices.first().map_or("", |d| d.url.as_str()),
        last = %manifest.devices.last().map_or("", |d| d.url.as_str()),
        manifest = %fleet.manifest_path().display(),
        control = %manifest.control,
        "fleet ready"
    );
    let members = fleet.members();
    let (stop, _keep) = Stop::after(shutdown);
    let progress = progress(members.clone(), args.progress, stop.clone());
    // The summary is taken while the terminals still run: once stopped they have no
    // figures to give.
    let summary = async move {
        stop.wait().await;
        let total = members.stats().await.total;
        println!("{}", summary_line(&total));
    };
    let (result, ()) = tokio::join!(fleet.run(summary), progress);
    result?;
    Ok(Finish::Success)
}

/// The library's configuration from the flags.
fn fleet_config(args: &FleetArgs) -> Result<FleetConfig, CmdError> {
    let terminal = super::terminal::terminal(&args.terminal, true)?;
    let mut faults: Vec<(String, Fault)> = args
        .offline
        .iter()
        .map(|sn| (sn.clone(), Fault::Offline))
        .collect();
    for spec in &args.drift {
        let drift = spec
            .split_once('=')
            .and_then(|(sn, secs)| Some((sn.to_string(), secs.trim().parse().ok()?)));
        let Some((sn, seconds)) = drift else {
            return Err(UsageError(format!(
                "--drift {spec}: expected SN=SECONDS, e.g. PS71HD01MC23H17731=90"
            ))
            .into());
        };
        faults.push((sn, Fault::Drift(seconds)));
    }
    let shard = match &args.shard {
        Some(spec) => spec
            .parse::<Shard>()
            .map_err(|e| UsageError(e.to_string()))?,
        None => Shard::default(),
    };
    if args.devices < shard.count {
        return Err(UsageError(format!(
            "--devices {} is fewer than the {} shards; every shard needs a terminal",
            args.devices, shard.count
        ))
        .into());
    }
    let addressing = match (args.ports, args.bind) {
        (Some(base), Some(ip)) => Addressing::At { ip, base },
        (Some(base), None) => Addressing::Ports { base },
        (None, _) => Addressing::Loopback { port: args.port },
    };
    Ok(FleetConfig {
        devices: args.devices,
        state: args.state.clone(),
        addressing,
        control: args.control,
        terminal: HostConfig {
            device: DeviceConfig {
                state_dir: args.state.clone(),
                // In a building people come only through its doors: the terminals make
                // no records of their own people.
                rate: if args.profile == FleetProfile::Building {
                    0.0
                } else {
                    terminal.device.rate
                },
                ..terminal.device
            },
            // Without --api-version (and under `mix`) each terminal keeps its state
            // directory's version.
            api: match args.terminal.synth.api_version {
                Some(ApiChoice::One(v)) => Some(v),
                Some(ApiChoice::Mix) | None => None,
            },
            https: true,
            cert: None,
            reboot_time: terminal.reboot_time,
            initial: terminal.initial,
        },
        faults,
        mdns: args.mdns,
        shard,
        versions: if args.terminal.synth.api_version == Some(ApiChoice::Mix) {
            Versions::Mix
        } else {
            Versions::Given
        },
    })
}

/// The building's configuration, with `--profile building`.
fn building_config(args: &FleetArgs) -> Result<Option<BuildingConfig>, CmdError> {
    if args.profile != FleetProfile::Building {
        if args.enrol {
            return Err(UsageError(
                "--enrol enrols the building's people: it needs --profile building".into(),
            )
            .into());
        }
        return Ok(None);
    }
    let day_start = args
        .day_start
        .as_deref()
        .map(parse_time_of_day)
        .transpose()
        .map_err(FleetError::from)?;
    let config = BuildingConfig {
        people: args.occupants,
        floors: args.floors,
        clock: args.clock,
        day_start,
        seed: args.terminal.synth.seed,
        days: args.days,
        enrol: args.enrol,
    };
    config.validate().map_err(FleetError::from)?;
    Ok(Some(config))
}

/// Logs the fleet's totals every `every` seconds until `stop`.
async fn progress(members: Members, every: u64, stop: Stop) {
    if every == 0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs(every));
    tick.tick().await;
    let stopped = stop.wait();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => return,
            _ = tick.tick() => {}
        }
        let total = members.stats().await.total;
        tracing::info!("{}", summary_line(&total));
    }
}

/// One line of the fleet's totals.
fn summary_line(t: &FleetTotal) -> String {
    let failed: u64 = t.errors.values().sum();
    format!(
        "fleet: {} terminals ({} up, {} online), {} records made, {} pushes ({} ok, {} failed), {} queued, {} dropped, {} doors opened",
        t.terminals,
        t.up,
        t.online,
        t.generated,
        t.sent,
        t.ok,
        failed,
        t.queued,
        t.dropped,
        t.doors_opened
    )
}
