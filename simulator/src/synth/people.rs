//! The people a terminal knows: a stable population per device with fake names in several
//! locales (Chinese the most common, as for the terminals' main market), user ids, kinds
//! (employee, visitor, blacklisted: each API version numbers them its own way), looks,
//! mask habits, access rights, the details later versions report (card, job and ID
//! numbers, groups, a body temperature) and a skewed visit frequency, so that a few
//! regulars account for most records, as at a real door.

use fake::Fake;
use fake::faker::name::raw::Name;
use fake::locales::{DE_DE, EN, FR_FR, JA_JP, ZH_CN, ZH_TW};
use rand::RngExt;

use super::face::{Deal, Look, Region};
use super::names::{truncate_at_char, uuid_v4};
use crate::profile::PersonKind;
use crate::seed::splitmix64;
use crate::wire::MAX_USER_NAME_BYTES;

/// The groups people belong to: `(id, name)`, as an integrator's HR system would sync them.
pub const GROUPS: [(&str, &str); 6] = [
    ("1", "Engineering"),
    ("2", "Sales"),
    ("3", "Operations"),
    ("4", "Management"),
    ("5", "Visitors"),
    ("6", "Contractors"),
];

/// The locale a person's name is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameLocale {
    ZhCn,
    ZhTw,
    JaJp,
    En,
    FrFr,
    DeDe,
}

impl NameLocale {
    /// Every locale with its share of the population in percent (they sum to 100).
    pub const SHARES: [(NameLocale, u32); 6] = [
        (NameLocale::ZhCn, 40),
        (NameLocale::ZhTw, 10),
        (NameLocale::JaJp, 8),
        (NameLocale::En, 22),
        (NameLocale::FrFr, 10),
        (NameLocale::DeDe, 10),
    ];

    fn random<R: RngExt + ?Sized>(rng: &mut R) -> Self {
        let mut ticket = rng.random_range(0..100);
        for (locale, share) in Self::SHARES {
            if ticket < share {
                return locale;
            }
            ticket -= share;
        }
        NameLocale::En
    }

    /// A full name in this locale, cut to the device's limit of 128 bytes.
    pub fn name<R: RngExt + ?Sized>(self, rng: &mut R) -> String {
        let name: String = match self {
            NameLocale::ZhCn => Name(ZH_CN).fake_with_rng(rng),
            NameLocale::ZhTw => Name(ZH_TW).fake_with_rng(rng),
            NameLocale::JaJp => Name(JA_JP).fake_with_rng(rng),
            NameLocale::En => Name(EN).fake_with_rng(rng),
            NameLocale::FrFr => Name(FR_FR).fake_with_rng(rng),
            NameLocale::DeDe => Name(DE_DE).fake_with_rng(rng),
        };
        truncate_at_char(&name, MAX_USER_NAME_BYTES).to_string()
    }

    /// The palette that fits names of this locale, most of the time.
    fn region(self) -> Region {
        match self {
            NameLocale::ZhCn | NameLocale::ZhTw | NameLocale::JaJp => Region::EastAsia,
            NameLocale::En | NameLocale::FrFr | NameLocale::DeDe => Region::Anywhere,
        }
    }
}

/// One person registered on a terminal.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Positive and distinct within a device's population.
    pub user_id: i64,
    /// At most 128 bytes.
    pub name: String,
    /// Employee, visitor or blacklisted; the profile gives the user `type` number.
    pub kind: PersonKind,
    pub locale: NameLocale,
    /// How the person looks on every snapshot.
    pub look: Look,
    /// Probability that the person wears a mask on a given visit.
    pub mask_propensity: f32,
    /// Relative frequency of visits; regulars weigh far more than occasional visitors.
    pub visit_weight: f64,
    /// Whether the door opens for this person: never for a blacklisted one, not for a
    /// visitor whose pass ran out (see `guest_days`) nor for an employee outside their
    /// permitted times.
    pub has_access: bool,
    /// The details API versions from 1.2 on report about the person.
    pub details: Details,
}

/// What later API versions report about a person, derived from the user id alone so that
/// the population's names and looks stay as they are in every version.
#[derive(Debug, Clone, PartialEq)]
pub struct Details {
    /// The string id of API 1.2.1 and later: a UUID, as the guide's examples use.
    pub uuid: String,
    /// IC card number (from 1.2).
    pub ic_number: String,
    /// Employee number (from 1.2).
    pub job_number: String,
    /// ID card number (from 1.2.1).
    pub id_number: String,
    /// A visitor's validity, in days relative to the day of the visit: `(from, to)`.
    pub guest_days: Option<(i64, i64)>,
    /// Free text (from 1.2.1).
    pub remark: String,
    /// Indices into [`GROUPS`]: none, one or two.
    pub groups: Vec<usize>,
    /// The person's usual body temperature, in degrees Celsius.
    pub temperature: f64,
}

impl Details {
    fn of(user_id: i64, kind: PersonKind, has_access: bool) -> Self {
        let h = |salt: u64| splitmix64(splitmix64(user_id as u64) ^ salt);
        let uuid = uuid_v4(h(1), h(2));
        let groups = match kind {
            PersonKind::Employee => {
                let first = (h(3) % 4) as usize;
                if h(4) % 3 == 0 {
                    vec![first, if first == 3 { 0 } else { 3 }]
                } else {
                    vec![first]
                }
            }
            PersonKind::Visitor if h(5) % 2 == 0 => vec![4],
            PersonKind::Visitor => vec![],
            PersonKind::Blacklisted => vec![],
        };
        // A visitor's pass covers today when they have access, and ended days ago when not.
        let guest_days = (kind == PersonKind::Visitor).then(|| {
            let length = 1 + (h(6) % 14) as i64;
            if has_access {
                (-((h(7) % 3) as i64), length)
            } else {
                (-(length + 7), -1 - (h(7) % 5) as i64)
            }
        });
        let remark = match h(8) % 10 {
            0 => "night shift",
            1 => "badge reissued",
            _ => "",
        };
        Self {
            uuid,
            ic_number: format!("{:010}", h(9) % 10_000_000_000),
            job_number: format!("E{:06}", user_id),
            id_number: format!("{:017}{}", h(10) % 100_000_000_000_000_000, h(11) % 10),
            guest_days,
            remark: remark.into(),
            groups,
            temperature: 36.2 + (h(12) % 70) as f64 / 100.0,
        }
    }
}

/// A device's population plus what is needed to draw visitors from it quickly.
#[derive(Debug, Clone)]
pub(crate) struct Population {
    people: Vec<Person>,
    /// The cast as dealt to `people`, which strangers keep clear of.
    deal: Deal,
    /// Running sums of visit weights, for drawing a visitor by binary search.
    cumulative: Vec<f64>,
}

impl Population {
    /// Generates `count` people from `rng`.
    pub(crate) fn generate<R: RngExt + ?Sized>(rng: &mut R, count: usize) -> Self {
        // Visit ranks are a random permutation so that frequency does not follow user id.
        let mut ranks: Vec<usize> = (0..count).collect();
        for i in (1..count).rev() {
            ranks.swap(i, rng.random_range(0..=i));
        }
        let mut user_id: i64 = rng.random_range(1..5000);
        let mut people = Vec::with_capacity(count);
        // One deal of the cast for the whole population, so that nobody is a twin of
        // somebody else in it while the cast of their region lasts.
        let mut deal = Deal::default();
        for rank in ranks {
            // Ids grow with small gaps, as when people are enrolled and some are deleted.
            user_id += rng.random_range(1..=3);
            people.push(person(rng, user_id, rank, &mut deal));
        }
        let mut total = 0.0;
        let cumulative = people
            .iter()
            .map(|p| {
                total += p.visit_weight;
                total
            })
            .collect();
        Self {
            people,
            deal,
            cumulative,
        }
    }

    /// A stranger from `region`: somebody who looks like nobody of this population, while
    /// the region's cast has people it was not dealt.
    pub(crate) fn stranger<R: RngExt + ?Sized>(&self, rng: &mut R, region: Region) -> Look {
        Look::stranger(rng, region, &self.deal)
    }

    pub(crate) fn people(&self) -> &[Person] {
        &self.people
    }

    /// Draws the index of a visitor, weighted by visit frequency. `None` only for an empty
    /// population.
    pub(crate) fn pick<R: RngExt + ?Sized>(&self, rng: &mut R) -> Option<usize> {
        let total = *self.cumulative.last()?;
        let x = rng.random_range(0.0..total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        Some(i.min(self.people.len() - 1))
    }
}

/// One random person with visit rank `rank` (0 = the most frequent visitor).
fn person<R: RngExt + ?Sized>(rng: &mut R, user_id: i64, rank: usize, deal: &mut Deal) -> Person {
    let locale = NameLocale::random(rng);
    let name = locale.name(rng);
    let (kind, access, frequency) = match rng.random_range(0..100) {
        0..78 => (PersonKind::Employee, 0.98, 1.0),
        78..92 => (PersonKind::Visitor, 0.85, 0.3),
        // Managers: employees who always have access and come often.
        92..97 => (PersonKind::Employee, 1.0, 0.6),
        _ => (PersonKind::Blacklisted, 0.0, 0.2),
    };
    // One in ten people's looks fall outside the palette their name suggests.
    let region = if rng.random_bool(0.1) {
        Region::Anywhere
    } else {
        locale.region()
    };
    let look = Look::dealt(rng, region, deal);
    // Mask wearing is a habit: a quarter of people usually wear one, the rest rarely do.
    let mask_propensity = if rng.random_bool(0.25) {
        rng.random_range(0.7..0.95)
    } else {
        rng.random_range(0.0..0.15)
    };
    // A Zipf-like law: the visitor of rank k comes about (k + 1)^-0.8 as often as the
    // most frequent one, scaled by how often people of this type come at all.
    let visit_weight = frequency / ((rank + 1) as f64).powf(0.8);
    let has_access = rng.random_bool(access);
    Person {
        user_id,
        name,
        kind,
        locale,
        look,
        mask_propensity,
        visit_weight,
        has_access,
        details: Details::of(user_id, kind, has_access),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::HashSet;

    fn population(seed: u64, count: usize) -> Population {
        Population::generate(&mut StdRng::seed_from_u64(seed), count)
    }

    #[test]
    fn ids_are_positive_and_distinct_and_names_fit() {
        let pop = population(1, 500);
        let ids: HashSet<i64> = pop.people().iter().map(|p| p.user_id).collect();
        assert_eq!(ids.len(), 500);
        for p in pop.people() {
            assert!(p.user_id > 0);
            assert!(
                !p.name.is_empty() && p.name.len() <= MAX_USER_NAME_BYTES,
                "{:?}",
                p.name
            );
            assert!(p.kind != PersonKind::Blacklisted || !p.has_access);
            assert_eq!(p.details.uuid.len(), 36);
            assert_eq!(p.details.id_number.len(), 18);
            if let Some((from, to)) = p.details.guest_days {
                assert!(from < to);
                assert_eq!(from <= 0 && to >= 0, p.has_access, "{p:?}");
            }
        }
    }

    #[test]
    fn locales_are_mixed_with_chinese_the_most_common() {
        let pop = population(2, 1000);
        let count = |l: NameLocale| pop.people().iter().filter(|p| p.locale == l).count();
        assert!(
            (330..470).contains(&count(NameLocale::ZhCn)),
            "{}",
            count(NameLocale::ZhCn)
        );
        for (locale, _) in NameLocale::SHARES {
            assert!(count(locale) > 30, "{locale:?} is missing");
        }
        // Chinese names are written in Han characters, without spaces.
        let zh = pop
            .people()
            .iter()
            .find(|p| p.locale == NameLocale::ZhCn)
            .expect("a zh name");
        assert!(zh.name.chars().all(|c| !c.is_ascii()), "{}", zh.name);
    }

    #[test]
    fn nobody_in_a_population_is_a_twin_while_the_cast_lasts() {
        // Of 800 people, fewer than 512 are of either region, so every face (a look but
        // for its clothes) is somebody's own.
        let faces: HashSet<String> = population(11, 800)
            .people()
            .iter()
            .map(|p| p.look.face())
            .collect();
        assert_eq!(faces.len(), 800);
    }

    #[test]
    fn strangers_look_like_nobody_of_the_population() {
        let population = population(5, 300);
        let enrolled: HashSet<String> = population.people().iter().map(|p| p.look.face()).collect();
        let mut rng = StdRng::seed_from_u64(9);
        for region in [Region::EastAsia, Region::Anywhere] {
            let strangers: Vec<Look> = (0..400)
                .map(|_| population.stranger(&mut rng, region))
                .collect();
            let twins = strangers
                .iter()
                .filter(|s| enrolled.contains(&s.face()))
                .count();
            assert_eq!(
                twins, 0,
                "{region:?}: {twins} of 400 strangers look like somebody"
            );
            let faces: HashSet<String> = strangers.iter().map(|s| s.face()).collect();
            assert!(faces.len() > 100, "{region:?}: {} faces", faces.len());
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_population() {
        assert_eq!(population(3, 50).people(), population(3, 50).people());
        assert_ne!(population(3, 50).people(), population(4, 50).people());
    }

    #[test]
    fn regulars_come_back_more_often() {
        let pop = population(5, 200);
        let mut rng = StdRng::seed_from_u64(6);
        let mut visits = vec![0u32; 200];
        for _ in 0..5000 {
            visits[pop.pick(&mut rng).expect("non-empty")] += 1;
        }
        visits.sort_unstable_by(|a, b| b.cmp(a));
        let top_ten: u32 = visits[..10].iter().sum();
        // Ten of two hundred people (5%) make well over a fifth of the visits.
        assert!(top_ten > 1000, "top ten made {top_ten} of 5000 visits");
        assert!(population(1, 0).pick(&mut rng).is_none());
    }

    #[test]
    fn long_names_are_cut_at_a_char_boundary() {
        let long = "王".repeat(100);
        let cut = truncate_at_char(&long, MAX_USER_NAME_BYTES);
        assert_eq!(cut.len(), 126);
        assert!(cut.chars().all(|c| c == '王'));
    }
}
