//! Which palettes a person is drawn from ([`Region`]): shared by the looks and the cast.

/// Which palette a random look draws from, so that names and faces roughly agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// Mostly dark hair and brown eyes, light to medium skin.
    EastAsia,
    /// The whole range of skin, hair and eye colours.
    Anywhere,
}
