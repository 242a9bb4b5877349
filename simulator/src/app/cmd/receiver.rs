//! `facesim receiver`: the reference receiver, printing a line per event.

use std::future::Future;

use tokio::sync::mpsc;

use super::{CmdError, Finish, io_err};
use crate::app::cli::{ReceiverArgs, UsageError};
use facesim::receiver::auth::{AuthDecided, AuthPolicy};
use facesim::receiver::{self, Policy, Received, ReceiverConfig};
use facesim::tls::CertPair;
use facesim::zoo::Fault;

/// Runs the reference receiver until `shutdown`.
///
/// # Errors
/// [`CmdError`] when the address, save directory or certificate file are unusable.
pub async fn receiver(
    args: ReceiverArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Finish, CmdError> {
    if args.list_faults {
        let list: String = Fault::ALL
            .iter()
            .map(|fault| format!("{:<24} {}\n", fault.name(), fault.description()))
            .collect();
        facesim_cli::print_to_reader(&list);
        return Ok(Finish::Success);
    }
    let fault = match &args.fault {
        Some(name) => Some(
            name.parse::<Fault>()
                .map_err(|e| UsageError(e.to_string()))?,
        ),
        None => None,
    };
    if let Some(dir) = &args.save_dir {
        std::fs::create_dir_all(dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
    }
    let tls = match &args.tls_cert_out {
        Some(path) => {
            let pair = CertPair::self_signed(&[])?;
            std::fs::write(path, &pair.cert_pem)
                .map_err(io_err(format!("cannot write {}", path.display())))?;
            Some(pair.server_config()?)
        }
        None => None,
    };
    let (listener, addr) = super::bind(args.listen).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    if let Some(fault) = fault {
        println!(
            "faulty receiver ({fault}: {}) listening on {scheme}://{addr}/eventRcv",
            fault.description()
        );
        let options = facesim::zoo::ZooOptions {
            api: args.api_version,
            ..facesim::zoo::ZooOptions::default()
        };
        facesim::zoo::serve_faulty_with(listener, tls, fault, options, shutdown).await;
        return Ok(Finish::Success);
    }
    println!(
        "reference receiver (API {}) listening on {scheme}://{addr}/eventRcv",
        args.api_version
    );
    let config = ReceiverConfig {
        policy: Policy {
            min_score: args.min_score,
            min_liveness: args.min_liveness,
            admit_strangers: args.admit_strangers,
            ..Policy::default()
        },
        save_dir: args.save_dir.clone(),
        api: args.api_version,
        auth: AuthPolicy {
            min_score: args.auth_min_score,
            qr_prefix: args.qr_prefix.clone(),
            known_faces: args.known_face.clone(),
            ..AuthPolicy::default()
        },
        ..ReceiverConfig::default()
    };
    println!(
        "remote authentication at {scheme}://{addr}/auth (POST decides, GET is the heartbeat)"
    );
    let (tx, mut rx) = mpsc::unbounded_channel::<Received>();
    let printer = tokio::spawn(async move {
        while let Some(r) = rx.recv().await {
            println!("{}", received_line(&r));
        }
    });
    let (auth_tx, mut auth_rx) = mpsc::unbounded_channel::<AuthDecided>();
    let auth_printer = tokio::spawn(async move {
        while let Some(d) = auth_rx.recv().await {
            println!("{}", decided_line(&d));
        }
    });
    receiver::serve_with_auth(listener, tls, config, Some(tx), Some(auth_tx), shutdown).await;
    let _ = printer.await;
    let _ = auth_printer.await;
    Ok(Finish::Success)
}

/// One console line for a remote-authentication callback the server decided.
pub fn decided_line(d: &AuthDecided) -> String {
    let r = &d.request;
    let who = match (&r.user, &d.answer.data.user_name) {
        (Some(u), _) => u.name.as_str(),
        (None, Some(name)) => name.as_str(),
        (None, None) => "stranger",
    };
    let method = match r.qrcode_content.as_deref() {
        Some(qr) if !qr.is_empty() => "qr",
        _ => r.recognize_status.label(),
    };
    let data = &d.answer.data;
    format!(
        "{} auth {:<11} {} score {:.2} -> {} verify_code {} {:?}",
        r.device_sn,
        method,
        super::fit_columns(who, 18),
        r.recognize_score.unwrap_or(0.0),
        if data.pass { "pass" } else { "deny" },
        data.verify_code
            .map_or_else(|| "-".to_string(), |c| c.code().to_string()),
        data.customtips.as_deref().unwrap_or("")
    )
}

/// One console line for an event the receiver took.
pub fn received_line(r: &Received) -> String {
    let seq = r
        .trace
        .as_ref()
        .map_or_else(|| "?".to_string(), |(_, s)| s.to_string());
    let Some(d) = r.event.as_record() else {
        let alarm = r.event.as_alarm();
        return format!(
            "alarm {} status {} code {}",
            alarm.map_or("-", |a| a.trace_id.as_str()),
            alarm.map_or(0, |a| a.status.code()),
            alarm
                .and_then(|a| a.code)
                .map_or_else(|| "-".to_string(), |c| c.code().to_string())
        );
    };
    let name = d.user.as_ref().map_or("-", |u| u.name.as_str());
    let seen = d
        .recognize_status
        .map(|s| s.label())
        .or_else(|| d.recognition_type.map(|t| t.label()))
        .unwrap_or("-");
    let live = d
        .liveness_score
        .map_or_else(String::new, |l| format!(" live {l:.2}"));
    let decision = match r.answer.data.pass {
        Some(true) => "pass",
        Some(false) => "deny",
        None => "ack",
    };
    format!(
        "{} #{:<5} {:<11} {} score {:.2}{live} -> {decision} {:?}",
        d.device_sn,
        seq,
        seen,
        super::fit_columns(name, 18),
        d.recognize_score,
        r.answer.data.customtips.as_deref().unwrap_or("")
    )
}
