//! Text that reads other than it is: characters a person cannot see, which reorder,
//! break or hide what is around them. Refused wherever text is shown to someone other
//! than its writer (file names, display names, e-mail addresses, notes to the operator),
//! so `report\u{202E}vsc.exe` cannot pass for `reportexe.csv`, nor a name for two lines.

/// Characters that reorder, break or hide text: bidirectional marks, overrides and
/// isolates; zero-width ones and joiners; line and paragraph separators; the soft
/// hyphen, the combining grapheme joiner, Hangul and Khmer fillers and invisible vowels;
/// the byte-order mark, interlinear annotation marks and tag characters. Variation
/// selectors stay: emoji need them, and they change no order.
pub fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_hides_or_reorders_text_is_invisible_and_what_people_write_is_not() {
        for hidden in [
            '\u{00AD}',
            '\u{034F}',
            '\u{061C}',
            '\u{115F}',
            '\u{1160}',
            '\u{17B4}',
            '\u{180E}',
            '\u{200B}',
            '\u{200D}',
            '\u{2028}',
            '\u{202E}',
            '\u{2066}',
            '\u{3164}',
            '\u{FEFF}',
            '\u{FFA0}',
            '\u{FFFB}',
            '\u{E0001}',
        ] {
            assert!(invisible(hidden), "{:04X}", u32::from(hidden));
        }
        for seen in "Werk Süd 東京工場 Ünïcödé ❤\u{FE0F} a-b_c.d (1)".chars() {
            assert!(!invisible(seen), "{:04X}", u32::from(seen));
        }
    }
}
