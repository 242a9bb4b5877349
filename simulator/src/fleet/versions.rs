//! Which API version each terminal of a fleet speaks: one for all (`--api-version V`, or
//! each state directory's own), or a mix of every version (`--api-version mix`), dealt by
//! a pure function of the seed and the terminal's index. A leaf of the fleet.

use crate::profile::ApiVersion;
use crate::seed::{Domain, splitmix64};

/// How a fleet's terminals get their API version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Versions {
    /// Every terminal as the fleet's terminal configuration says: the version asked for,
    /// or without one each state directory's own (a new directory takes the default).
    #[default]
    Given,
    /// Terminals of every version: a new state directory takes
    /// [`mixed_version`]`(seed, index)`, an existing one keeps its own, so that a terminal
    /// keeps its version across restarts (and after an upgrade through its API).
    Mix,
}

/// The version terminal `index` of a mixed fleet of `seed` starts with.
///
/// Terminals come in blocks of as many as there are versions, each block a seeded
/// shuffle of all of them: any run of that many consecutive terminals (a block) holds
/// every version once, so even a small fleet is mixed, while which terminal gets which
/// version still varies with the seed. Shards share it, since `index` is the terminal's
/// index in the whole fleet.
#[must_use]
pub fn mixed_version(seed: u64, index: u32) -> ApiVersion {
    let all = ApiVersion::ALL;
    let block = u64::from(index) / all.len() as u64;
    let mut order = all;
    let mut state = splitmix64(seed ^ Domain::FleetVersions.salt()) ^ block;
    // Fisher–Yates with splitmix64 as the stream: the block's own permutation.
    for i in (1..order.len()).rev() {
        state = splitmix64(state);
        let j = (state % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order[index as usize % all.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_block_of_terminals_holds_every_version_once() {
        let n = ApiVersion::ALL.len() as u32;
        for seed in [0, 1, 7, 42, u64::MAX] {
            for block in 0..20 {
                let got: BTreeSet<ApiVersion> = (block * n..(block + 1) * n)
                    .map(|i| mixed_version(seed, i))
                    .collect();
                assert_eq!(
                    got.len(),
                    ApiVersion::ALL.len(),
                    "seed {seed}, block {block}"
                );
            }
        }
    }

    #[test]
    fn the_version_is_a_function_of_seed_and_index_and_the_seed_matters() {
        let deal = |seed| (0..50).map(|i| mixed_version(seed, i)).collect::<Vec<_>>();
        assert_eq!(deal(7), deal(7));
        assert_ne!(deal(7), deal(8));
        // Blocks are not all dealt alike.
        let blocks: BTreeSet<Vec<ApiVersion>> = deal(7).chunks(5).map(<[_]>::to_vec).collect();
        assert!(blocks.len() > 1, "{blocks:?}");
    }
}
