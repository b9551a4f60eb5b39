//! DynamoDB's item size rules, which decide what every write costs: one write unit per
//! started kilobyte of item (standard tables, on-demand or provisioned).

use aws_sdk_dynamodb::types::AttributeValue;

use super::values::Item;

/// The size DynamoDB bills for an item: the UTF-8 bytes of each attribute name plus its
/// value (strings: UTF-8 bytes; binary: bytes; numbers: one byte per two significant
/// digits plus one; lists and maps: 3 bytes plus 1 byte per element plus the elements).
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// Write units one put of `item` consumes.
pub fn write_units(item: &Item) -> usize {
    item_size(item).div_ceil(1024).max(1)
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(items) => items.iter().map(String::len).sum(),
        AttributeValue::Ns(items) => items.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(items) => items.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

fn number_size(number: &str) -> usize {
    let mantissa = number.split(['e', 'E']).next().unwrap_or(number);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_cost_a_byte_per_two_significant_digits_plus_one() {
        assert_eq!(number_size("1763713201234"), 8);
        assert_eq!(number_size("1763713200000"), 5); // trailing zeros are trimmed
        assert_eq!(number_size("0.00123"), 3);
        assert_eq!(number_size("-5"), 2);
    }
}
