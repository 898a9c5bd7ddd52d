//! Row ids in table order, held in chunks of a few hundred ids, so a burst of streamed rows
//! is inserted where each one belongs (a binary search over the chunks, then within one, and
//! a move of at most one chunk's ids) instead of copying the whole million-id view every
//! frame. A large batch relative to the view (a first fill, a stored state) is merged in
//! one pass and re-chunked instead. Reads ([`SortedView::get`], [`SortedView::iter`]) see
//! one flat sequence.

use super::RowId;
use std::cmp::Ordering;

/// Chunks are split in two above this many ids.
const MAX_CHUNK: usize = 1024;
/// Chunk size after a full rebuild or a split.
const CHUNK: usize = MAX_CHUNK / 2;

/// Row ids sorted by some order, chunked (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct SortedView {
    /// Never an empty chunk.
    chunks: Vec<Vec<RowId>>,
    /// `starts[i]`: position of `chunks[i][0]` in the whole view.
    starts: Vec<usize>,
    len: usize,
}

impl PartialEq for SortedView {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for SortedView {}

impl From<Vec<RowId>> for SortedView {
    fn from(ids: Vec<RowId>) -> Self {
        let mut v = SortedView {
            chunks: ids.chunks(CHUNK).map(<[RowId]>::to_vec).collect(),
            ..SortedView::default()
        };
        v.reindex();
        v
    }
}

impl SortedView {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk and the index in it of position `i`.
    fn locate(&self, i: usize) -> Option<(usize, usize)> {
        if i >= self.len {
            return None;
        }
        let c = self.starts.partition_point(|s| *s <= i) - 1;
        Some((c, i - self.starts[c]))
    }

    /// The id at position `i`.
    pub fn get(&self, i: usize) -> Option<&RowId> {
        self.locate(i).map(|(c, at)| &self.chunks[c][at])
    }

    /// All ids in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &RowId> + '_ {
        self.chunks.iter().flatten()
    }

    /// The ids from position `start` on (without walking the ones before).
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = &RowId> + '_ {
        let (c, at) = self.locate(start).unwrap_or((self.chunks.len(), 0));
        self.chunks
            .get(c)
            .map(|first| &first[at..])
            .into_iter()
            .chain(self.chunks.iter().skip(c + 1).map(Vec::as_slice))
            .flatten()
    }

    /// The position of `id` (a linear scan).
    pub fn position(&self, id: RowId) -> Option<usize> {
        self.chunks
            .iter()
            .zip(&self.starts)
            .find_map(|(chunk, start)| chunk.iter().position(|x| *x == id).map(|at| start + at))
    }

    /// All ids as one Vec.
    pub fn to_vec(&self) -> Vec<RowId> {
        self.iter().copied().collect()
    }

    /// Keep the ids `keep` says yes to (order unchanged).
    pub fn retain(&mut self, mut keep: impl FnMut(RowId) -> bool) {
        for chunk in &mut self.chunks {
            chunk.retain(|id| keep(*id));
        }
        self.chunks.retain(|c| !c.is_empty());
        self.reindex();
    }

    /// Insert `add` (sorted under `cmp`, none of them in the view yet) where each belongs;
    /// equal ids already in the view stay first.
    pub fn insert_sorted(&mut self, add: &[RowId], cmp: impl Fn(RowId, RowId) -> Ordering) {
        if add.is_empty() {
            return;
        }
        // Inserting one at a time costs O(k · (log n + chunk)); merging everything O(n + k).
        if add.len() * 16 >= self.len {
            let merged = merge_sorted(&self.to_vec(), add, &cmp);
            *self = SortedView::from(merged);
            return;
        }
        for &a in add {
            let after = |v: RowId| cmp(v, a) == Ordering::Greater;
            // the first chunk ending after `a` holds its place; else the last chunk
            let c = self
                .chunks
                .partition_point(|chunk| chunk.last().is_some_and(|l| !after(*l)))
                .min(self.chunks.len() - 1);
            let chunk = &mut self.chunks[c];
            let at = chunk.partition_point(|v| !after(*v));
            chunk.insert(at, a);
            if chunk.len() > MAX_CHUNK {
                let tail = chunk.split_off(chunk.len() / 2);
                self.chunks.insert(c + 1, tail);
            }
        }
        self.reindex();
    }

    fn reindex(&mut self) {
        self.starts.clear();
        let mut at = 0;
        for c in &self.chunks {
            self.starts.push(at);
            at += c.len();
        }
        self.len = at;
    }
}

/// Merge the sorted `add` into the sorted `into` under `cmp` (stable: equal rows of `into`
/// come first). Gallops from the previous insertion point: streamed rows arrive in clusters
/// (one host's results at a time), so the next position is usually close by.
pub fn merge_sorted(
    into: &[RowId],
    add: &[RowId],
    cmp: &impl Fn(RowId, RowId) -> Ordering,
) -> Vec<RowId> {
    let mut out = Vec::with_capacity(into.len() + add.len());
    let mut start = 0;
    let n = into.len();
    for &a in add {
        let after = |v: RowId| cmp(v, a) == Ordering::Greater;
        let mut lo = start;
        let mut bound = 1;
        let hi = loop {
            let probe = start + bound - 1;
            if probe >= n {
                break n;
            }
            if after(into[probe]) {
                break probe;
            }
            lo = probe + 1;
            bound *= 2;
        };
        let pos = lo + into[lo..hi].partition_point(|v| !after(*v));
        out.extend_from_slice(&into[start..pos]);
        out.push(a);
        start = pos;
    }
    out.extend_from_slice(&into[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Ids compared by a key (many equal keys: stability matters).
    fn by_key(keys: &[u8]) -> impl Fn(RowId, RowId) -> Ordering + '_ {
        move |a, b| keys[a as usize].cmp(&keys[b as usize])
    }

    /// The oracle: a plain Vec, sorted stably after each batch (older ids first among equals).
    fn oracle(keys: &[u8], batches: &[Vec<RowId>]) -> Vec<RowId> {
        let mut all: Vec<RowId> = Vec::new();
        for b in batches {
            all.extend(b);
            all.sort_by(|a, b| by_key(keys)(*a, *b));
        }
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn batches_inserted_equal_a_plain_sorted_vec(
            keys in proptest::collection::vec(0u8..40, 1..6000),
            cuts in proptest::collection::vec(1usize..700, 1..30),
        ) {
            // split the ids 0..n into batches of the given sizes, each sorted by key
            let n = keys.len() as RowId;
            let mut batches = Vec::new();
            let mut next = 0;
            for c in cuts.iter().cycle() {
                if next >= n {
                    break;
                }
                let end = (next + *c as RowId).min(n);
                let mut b: Vec<RowId> = (next..end).collect();
                b.sort_by(|a, b| by_key(&keys)(*a, *b));
                batches.push(b);
                next = end;
            }
            let mut view = SortedView::default();
            for b in &batches {
                view.insert_sorted(b, by_key(&keys));
            }
            let want = oracle(&keys, &batches);
            prop_assert_eq!(view.to_vec(), want.clone());
            prop_assert_eq!(view.len(), want.len());
            for (i, id) in want.iter().enumerate().step_by(97) {
                prop_assert_eq!(view.get(i), Some(id));
                prop_assert_eq!(view.position(*id), Some(i));
                prop_assert_eq!(view.iter_from(i).next(), Some(id));
            }
            prop_assert_eq!(view.get(want.len()), None);
            prop_assert_eq!(view.iter_from(want.len()).next(), None);
            prop_assert!(view.chunks.iter().all(|c| !c.is_empty() && c.len() <= MAX_CHUNK));
            // removing some keeps the rest in order
            view.retain(|id| id % 3 != 0);
            let kept: Vec<RowId> = want.into_iter().filter(|id| id % 3 != 0).collect();
            prop_assert_eq!(view.to_vec(), kept);
        }
    }

    #[test]
    fn one_at_a_time_into_a_large_view_splits_chunks() {
        let keys: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let mut first: Vec<RowId> = (0..10_000).collect();
        first.sort_by(|a, b| by_key(&keys)(*a, *b));
        let mut view = SortedView::from(first.clone());
        let mut batches = vec![first];
        for start in (10_000..20_000).step_by(100) {
            let mut b: Vec<RowId> = (start..start + 100).collect();
            b.sort_by(|a, b| by_key(&keys)(*a, *b));
            view.insert_sorted(&b, by_key(&keys));
            batches.push(b);
        }
        assert_eq!(view.to_vec(), oracle(&keys, &batches));
        assert!(view.chunks.iter().all(|c| c.len() <= MAX_CHUNK));
    }
}
