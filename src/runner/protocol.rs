//! The worker's channel to the parent: frames, each a little-endian `u32`
//! length and that many bytes, the first of which says what follows. A
//! seed's scores travel as numbers (`f64` bytes) against a slot list sent
//! once, ahead of the first seed that uses it; everything else is a JSON
//! message. The worker parses its seeds (in parallel, as they finish), so
//! the parent only copies numbers into the score table.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::call::{MAX_RESULT_BYTES, Reply, SeedOutcome, SeedResult};
use crate::scores::{ScoreError, SeedScores, SlotKey, SlotSets};

/// One side of a run: a benchmark in a library. A run has one side, or two
/// with `--against` (the revision's and the working tree's).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Side {
    pub library: std::path::PathBuf,
    pub bench: String,
}

/// What the parent asks of a worker, as JSON on the worker's stdin.
#[derive(Serialize, Deserialize)]
pub(super) struct Job {
    pub(super) sides: Vec<Side>,
    pub(super) seeds: Vec<u64>,
    pub(super) workers: usize,
    pub(super) reply: Reply,
}

/// A JSON [`Message`] follows.
const JSON: u8 = b'J';
/// A seed's scores follow: index, side and slot list number (`u64` each),
/// then one `f64` per slot.
const SCORES: u8 = b'S';

/// The longest frame: a seed's text, every byte of it escaped in JSON.
const MAX_FRAME: usize = 8 * MAX_RESULT_BYTES;

#[derive(Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Message {
    Start {
        index: usize,
    },
    Slots {
        id: usize,
        slots: Vec<SlotKey>,
    },
    Done {
        index: usize,
        side: usize,
        result: Other,
    },
}

/// A seed's result that is not scores.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Other {
    Failed(String),
    Invalid(ScoreError),
    Raw(SeedOutcome),
}

/// What the parent learns from the worker.
#[derive(Debug)]
pub(super) enum Event {
    Start {
        index: usize,
    },
    Done {
        index: usize,
        side: usize,
        result: SeedResult,
    },
}

fn json_frame(message: &Message) -> Vec<u8> {
    let mut frame = vec![0, 0, 0, 0, JSON];
    // Serializing these plain types into memory cannot fail.
    let _ = serde_json::to_writer(&mut frame, message);
    seal(frame)
}

/// Write the frame's length into its first four bytes.
fn seal(mut frame: Vec<u8>) -> Vec<u8> {
    let len = u32::try_from(frame.len() - 4).unwrap_or(u32::MAX);
    frame[..4].copy_from_slice(&len.to_le_bytes());
    frame
}

/// Seed `index` started.
pub(super) fn start(index: usize) -> Vec<u8> {
    json_frame(&Message::Start { index })
}

/// Slot list `id`, sent before any seed that uses it.
pub(super) fn slots(id: usize, slots: &[SlotKey]) -> Vec<u8> {
    json_frame(&Message::Slots {
        id,
        slots: slots.to_vec(),
    })
}

/// Seed `index` of side `side` gave `result`; its slots are in `sets`.
pub(super) fn done(index: usize, side: usize, result: &SeedResult, sets: &SlotSets) -> Vec<u8> {
    let other = match result {
        SeedResult::Scored(Ok(scores)) => match sets.id_of(&scores.slots) {
            Some(id) => return scores_frame(index, side, id, &scores.values),
            None => Other::Failed("the worker lost a slot list".into()),
        },
        SeedResult::Scored(Err(e)) => Other::Invalid(e.clone()),
        SeedResult::Failed(why) => Other::Failed(why.clone()),
        SeedResult::Raw(outcome) => Other::Raw(outcome.clone()),
    };
    json_frame(&Message::Done {
        index,
        side,
        result: other,
    })
}

fn scores_frame(index: usize, side: usize, id: usize, values: &[f64]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(5 + 24 + 8 * values.len());
    frame.extend_from_slice(&[0, 0, 0, 0, SCORES]);
    for n in [index, side, id] {
        frame.extend_from_slice(&(n as u64).to_le_bytes());
    }
    for v in values {
        frame.extend_from_slice(&v.to_le_bytes());
    }
    seal(frame)
}

/// The parent's side: frames in, events out, slot lists kept by number.
#[derive(Default)]
pub(super) struct Decoder {
    sets: Vec<Arc<[SlotKey]>>,
}

/// What the decoder made of the bytes at the front of its input.
pub(super) enum Decoded {
    /// Not a whole frame yet.
    Partial,
    /// A frame of this many bytes, and the event it held (a slot list
    /// holds none).
    Frame(usize, Option<Event>),
}

impl Decoder {
    /// Decode the frame at the front of `bytes`; `Err` when they are not a
    /// frame at all.
    pub(super) fn next(&mut self, bytes: &[u8]) -> Result<Decoded, ()> {
        let Some(header) = bytes.first_chunk::<4>() else {
            return Ok(Decoded::Partial);
        };
        let len = u32::from_le_bytes(*header) as usize;
        if len == 0 || len > MAX_FRAME {
            return Err(());
        }
        let Some(body) = bytes.get(4..4 + len) else {
            return Ok(Decoded::Partial);
        };
        let event = match body[0] {
            SCORES => Some(self.scores(&body[1..])?),
            JSON => match serde_json::from_slice(&body[1..]).map_err(|_| ())? {
                Message::Start { index } => Some(Event::Start { index }),
                Message::Slots { id, slots } if id == self.sets.len() => {
                    self.sets.push(slots.into());
                    None
                }
                Message::Slots { .. } => return Err(()),
                Message::Done {
                    index,
                    side,
                    result,
                } => Some(Event::Done {
                    index,
                    side,
                    result: match result {
                        Other::Failed(why) => SeedResult::Failed(why),
                        Other::Invalid(e) => SeedResult::Scored(Err(e)),
                        Other::Raw(outcome) => SeedResult::Raw(outcome),
                    },
                }),
            },
            _ => return Err(()),
        };
        Ok(Decoded::Frame(4 + len, event))
    }

    fn scores(&self, body: &[u8]) -> Result<Event, ()> {
        let (head, values) = body.split_at_checked(24).ok_or(())?;
        let number = |i: usize| -> Result<usize, ()> {
            let bytes = head[8 * i..8 * i + 8].try_into().map_err(|_| ())?;
            usize::try_from(u64::from_le_bytes(bytes)).map_err(|_| ())
        };
        let slots = self.sets.get(number(2)?).ok_or(())?;
        if values.len() != 8 * slots.len() {
            return Err(());
        }
        let values = values
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default()))
            .collect();
        Ok(Event::Done {
            index: number(0)?,
            side: number(1)?,
            result: SeedResult::Scored(Ok(SeedScores {
                slots: Arc::clone(slots),
                values,
            })),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::call::Reply;

    fn decode_all(bytes: &[u8]) -> Vec<Event> {
        let mut decoder = Decoder::default();
        let mut events = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            match decoder.next(&bytes[at..]) {
                Ok(Decoded::Frame(len, event)) => {
                    at += len;
                    events.extend(event);
                }
                _ => panic!("not a frame at {at}"),
            }
        }
        events
    }

    #[test]
    fn scores_travel_as_numbers_against_a_list_sent_once() {
        let sent = std::sync::Mutex::new(Vec::new());
        let sets = SlotSets::announcing(|id, list| sent.lock().unwrap().extend(slots(id, list)));
        let mut frames = Vec::new();
        for (index, json) in [r#"{"b": 2, "a": -0.0}"#, r#"{"a": 1e-300, "b": 3}"#]
            .into_iter()
            .enumerate()
        {
            let outcome = SeedOutcome {
                code: 0,
                text: Ok(json.into()),
            };
            let result = SeedResult::new(7, outcome, Reply::Scores, &sets);
            frames.push(done(index, 0, &result, &sets));
        }
        drop(sets);
        let mut bytes = sent.into_inner().unwrap();
        bytes.extend(start(1));
        frames.iter().for_each(|f| bytes.extend(f));
        let events = decode_all(&bytes);
        assert!(matches!(events[0], Event::Start { index: 1 }));
        let Event::Done { result, .. } = &events[1] else {
            panic!()
        };
        let SeedResult::Scored(Ok(scores)) = result else {
            panic!()
        };
        assert_eq!(scores.slots[0], SlotKey::new(0, "a"));
        assert_eq!(scores.values[0].to_bits(), (-0.0f64).to_bits());
        assert_eq!(frames[1].len(), 4 + 1 + 24 + 16, "no names, no JSON");
    }

    #[test]
    fn errors_and_raw_text_keep_their_words() {
        let sets = SlotSets::default();
        let bad = SeedOutcome {
            code: 0,
            text: Ok("[1]".into()),
        };
        let raw = bad.clone();
        let invalid = SeedResult::new(3, bad, Reply::Scores, &sets);
        let mut bytes = done(0, 0, &invalid, &sets);
        bytes.extend(done(
            1,
            0,
            &SeedResult::new(3, raw, Reply::Text, &sets),
            &sets,
        ));
        let events = decode_all(&bytes);
        let Event::Done { result, .. } = &events[0] else {
            panic!()
        };
        assert_eq!(result, &invalid);
        let Event::Done { result, .. } = &events[1] else {
            panic!()
        };
        assert!(matches!(result, SeedResult::Raw(o) if o.text.as_deref() == Ok("[1]")));
    }

    #[test]
    fn text_is_not_a_frame() {
        let mut decoder = Decoder::default();
        assert!(decoder.next(b"hello world\n").is_err());
        assert!(matches!(decoder.next(b"\x05\0"), Ok(Decoded::Partial)));
        assert!(decoder.next(b"\x01\0\0\0X").is_err());
    }
}
