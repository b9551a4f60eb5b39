//! Compacted and raw history merged: one list in time order, a time once.

use crate::domain::record::Millis;

/// `preferred` and `other`, each in strictly increasing time, merged in time order;
/// where both hold a time, `preferred`'s item stays. Compacted history is preferred over
/// raw records: it was made of the first record stored at each time, and a record
/// stored again there later (after its raw item expired) must not change it.
pub fn merge_preferring<T>(
    preferred: Vec<T>,
    other: Vec<T>,
    time: impl Fn(&T) -> Millis,
) -> Vec<T> {
    let mut out = Vec::with_capacity(preferred.len() + other.len());
    let mut preferred = preferred.into_iter().peekable();
    let mut other = other.into_iter().peekable();
    loop {
        let order = match (preferred.peek(), other.peek()) {
            (Some(p), Some(o)) => time(p).cmp(&time(o)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => return out,
        };
        match order {
            std::cmp::Ordering::Less => out.extend(preferred.next()),
            std::cmp::Ordering::Greater => out.extend(other.next()),
            std::cmp::Ordering::Equal => {
                other.next();
                out.extend(preferred.next());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    proptest! {
        #[test]
        fn each_time_once_in_order_the_preferred_where_both_have_it(
            preferred in proptest::collection::btree_set(0i64..200, 0..60),
            other in proptest::collection::btree_set(0i64..200, 0..60),
        ) {
            let tagged = |set: &BTreeSet<i64>, tag: char| -> Vec<(Millis, char)> {
                set.iter().map(|t| (Millis(*t), tag)).collect()
            };
            let merged = merge_preferring(tagged(&preferred, 'p'), tagged(&other, 'o'), |x| x.0);
            let mut expected: BTreeMap<i64, char> = other.iter().map(|t| (*t, 'o')).collect();
            expected.extend(preferred.iter().map(|t| (*t, 'p')));
            let expected: Vec<(Millis, char)> =
                expected.into_iter().map(|(t, tag)| (Millis(t), tag)).collect();
            prop_assert_eq!(merged, expected);
        }
    }
}
