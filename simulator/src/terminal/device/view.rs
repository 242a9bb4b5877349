//! The `/sim/stats` view: the figures of every job of the device, read together.

use std::sync::atomic::Ordering;

use super::deliver::Courier;
use super::make::Maker;
use super::rooms::Rooms;
use crate::wire;

/// The figures served at `GET /sim/stats`.
pub(super) async fn stats(rooms: &Rooms, maker: &Maker, courier: &Courier) -> wire::SimStats {
    let pushes = courier.pushes().await;
    let (last_seq, depth, cap) = {
        let store = rooms.queue.store();
        (store.last_seq(), store.depth(), store.cap())
    };
    let door = rooms.settings.door();
    let (door_state, open_until) = door.state(rooms.now());
    let counts = courier.door();
    wire::SimStats {
        sn: rooms.config.sn.clone(),
        subscription: rooms.queue.subscription(),
        last_seq,
        generated: maker.made(),
        queue: wire::QueueStats {
            depth: depth as u64,
            cap: cap as u64,
            dropped: maker.dropped(),
        },
        pushes,
        redeliveries: courier.redeliveries(),
        door: wire::DoorStats {
            opened: counts.opened.load(Ordering::Relaxed),
            kept_shut: counts.kept_shut.load(Ordering::Relaxed),
            last_screen: courier.screen(),
            remote: counts.remote.load(Ordering::Relaxed),
            held: door.held().map(str::to_string),
            state: door_state.to_string(),
            open_until,
        },
        callbacks: rooms.remote.stats().await,
    }
}
