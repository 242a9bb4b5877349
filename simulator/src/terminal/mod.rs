//! The simulated terminal: the device (recognition, storage, delivery), its pusher and
//! remote authentication, its state on disk, and its web API (login, person library,
//! settings, history, live feed).

pub mod access;
pub(crate) mod activity;
pub mod api;
pub mod device;
pub(crate) mod history;
pub mod library;
pub mod live;
pub mod push;
pub mod remote;
pub mod settings;
pub mod store;
pub(crate) mod webapi;
