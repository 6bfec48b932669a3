//! Seeds' parsed scores, and the score table built from them in seed order.
//! Seeds that report the same slots share one list of them, so a run holds
//! (and a worker sends) its slot names once, not once per seed.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use super::{ScoreError, ScoreTable, SlotKey, parse_seed, slot_difference};

/// One seed's values and the sorted slots they fill.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedScores {
    pub slots: Arc<[SlotKey]>,
    pub values: Vec<f64>,
}

/// The distinct slot lists of a run, each held once and numbered in the
/// order they were first seen.
#[derive(Default)]
pub struct SlotSets<'a> {
    sets: Mutex<Vec<Arc<[SlotKey]>>>,
    announce: Option<Announce<'a>>,
}

/// Told of each new list, with its number, before any seed is given it.
type Announce<'a> = Box<dyn Fn(usize, &[SlotKey]) + Send + Sync + 'a>;

/// How many of the known lists a new seed's slots are compared with: a run
/// has one (or it is an error), so a benchmark whose slots change every seed
/// costs a new list per seed, never a search through all of them.
const SEARCHED: usize = 4;

impl<'a> SlotSets<'a> {
    /// Sets that call `announce` with each new list and its number, before
    /// any seed can be given that number (a worker sends the list ahead of
    /// the seeds that use it).
    pub fn announcing(announce: impl Fn(usize, &[SlotKey]) + Send + Sync + 'a) -> Self {
        SlotSets {
            sets: Mutex::default(),
            announce: Some(Box::new(announce)),
        }
    }

    /// Parse one seed's score JSON: its list's number and its scores.
    pub fn parse(&self, seed: u64, json: &str) -> Result<(usize, SeedScores), ScoreError> {
        let parsed = parse_seed(seed, json)?;
        let (id, slots) = self.intern(&parsed.slots);
        Ok((
            id,
            SeedScores {
                slots,
                values: parsed.values,
            },
        ))
    }

    /// The number of the list `slots` (shared, as [`SlotSets::parse`]
    /// hands them out).
    pub fn id_of(&self, slots: &Arc<[SlotKey]>) -> Option<usize> {
        let sets = self.sets.lock().unwrap_or_else(|e| e.into_inner());
        sets.iter().rposition(|set| Arc::ptr_eq(set, slots))
    }

    /// The shared list equal to `slots`, and its number.
    fn intern(&self, slots: &[(i64, Cow<'_, str>)]) -> (usize, Arc<[SlotKey]>) {
        let mut sets = self.sets.lock().unwrap_or_else(|e| e.into_inner());
        let same = |set: &[SlotKey]| {
            set.len() == slots.len()
                && set
                    .iter()
                    .zip(slots)
                    .all(|(key, (step, name))| key.step == *step && key.metric == *name)
        };
        if let Some(id) = (0..sets.len())
            .rev()
            .take(SEARCHED)
            .find(|&id| same(&sets[id]))
        {
            return (id, Arc::clone(&sets[id]));
        }
        let set: Arc<[SlotKey]> = slots
            .iter()
            .map(|(step, name)| SlotKey::new(*step, name.as_ref()))
            .collect();
        let id = sets.len();
        if let Some(announce) = &self.announce {
            announce(id, &set);
        }
        sets.push(Arc::clone(&set));
        (id, set)
    }
}

impl ScoreTable {
    /// Build a table from each seed's scores (or why they could not be
    /// read), in seed order; the first error in seed order is returned.
    /// Values go straight into their slot's column.
    pub fn from_seeds<'a>(
        seeds: impl IntoIterator<Item = (u64, Result<&'a SeedScores, &'a ScoreError>)>,
    ) -> Result<Self, ScoreError> {
        let seeds = seeds.into_iter();
        let n = seeds.size_hint().1.unwrap_or(0);
        let mut first: Option<(u64, &SeedScores)> = None;
        let mut values: Vec<Vec<f64>> = Vec::new();
        for (seed, scores) in seeds {
            let scores = scores.map_err(Clone::clone)?;
            let Some((first_seed, head)) = first else {
                first = Some((seed, scores));
                values = scores
                    .values
                    .iter()
                    .map(|&v| {
                        let mut column = Vec::with_capacity(n);
                        column.push(v);
                        column
                    })
                    .collect();
                continue;
            };
            if !Arc::ptr_eq(&head.slots, &scores.slots)
                && let Some(detail) = slot_difference(&head.slots, scores.slots.iter())
            {
                return Err(ScoreError::SlotsDiffer {
                    seed,
                    first_seed,
                    detail,
                });
            }
            for (column, &v) in values.iter_mut().zip(&scores.values) {
                column.push(v);
            }
        }
        let Some((_, head)) = first else {
            return Err(ScoreError::Table("no seeds".into()));
        };
        Ok(ScoreTable {
            slots: head.slots.to_vec(),
            values,
        })
    }
}
