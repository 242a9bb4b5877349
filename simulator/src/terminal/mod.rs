//! The simulated terminal: the device (recognition, storage, delivery), its pusher and
//! remote authentication, its state on disk, and its web API (login, person library,
//! settings, history, live feed), its maintenance (certificate, reboot, restore, upgrade,
//! system log) and the host that runs it from boot to boot.

pub mod access;
pub(crate) mod activity;
pub(crate) mod ai;
pub mod api;
pub mod device;
pub(crate) mod history;
pub mod host;
pub mod library;
pub(crate) mod limits;
pub(crate) mod lines;
pub mod live;
pub mod maintenance;
pub mod push;
pub mod remote;
pub mod settings;
pub(crate) mod stop;
pub mod store;
pub(crate) mod webapi;
