//! Integration tests of the facesim crate through its public interfaces: the device API
//! over HTTP(S), pushing to receivers, and the command line. Everything runs on loopback
//! with ephemeral ports.

mod acting;
mod action;
mod ai;
mod answers;
mod api;
mod auth;
mod auth_device;
mod building;
mod classify;
mod cli;
mod fleet;
mod golden;
mod history;
mod layouts;
mod library;
mod lines;
mod load;
mod login;
mod maintenance;
mod mdns;
mod metrics;
mod openapi;
mod pinning;
mod push;
mod reliability;
mod slow_clients;
mod support;
mod triggers;
mod versions;
