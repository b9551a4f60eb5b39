use proptest::prelude::*;

use super::*;

fn glob(pattern: &str) -> Glob {
    Glob::parse(pattern).unwrap()
}

fn file(name: &str, content_type: &str) -> FileEntry {
    FileEntry {
        account: AccountId::parse("acme").unwrap(),
        group: GroupId::parse("plant").unwrap(),
        id: FileId::parse("00000000000000000000abcd").unwrap(),
        name: name.into(),
        folder: "recordings".into(),
        size: 42,
        content_type: content_type.into(),
        app: Some(AppId::parse("gw-1").unwrap()),
        instrument: Some(InstrumentSerial::parse("LR-1").unwrap()),
        sha256: "00".repeat(32),
        uploader: "ops".into(),
        uploaded: Millis(1_796_173_200_000),
    }
}

fn draft(name: &str) -> FileAlarmDraft {
    FileAlarmDraft {
        name: name.into(),
        app: None,
        instrument: None,
        glob: None,
        kind: None,
    }
}

#[test]
fn a_star_takes_any_run_and_a_question_mark_exactly_one_character() {
    assert!(glob("*.csv").matches("rec-01.csv"));
    assert!(glob("*.csv").matches(".csv"), "a star takes none too");
    assert!(!glob("*.csv").matches("rec-01.csv.bak"));
    assert!(glob("rec-??.bin").matches("rec-07.bin"));
    assert!(!glob("rec-??.bin").matches("rec-7.bin"));
    assert!(!glob("rec-??.bin").matches("rec-007.bin"));
    assert!(glob("a*b*c").matches("a-b-b-c"));
    assert!(!glob("a*b*c").matches("a-b-b-"));
    assert!(glob("?").matches("炉"), "one character, not one byte");
    assert!(glob("*").matches(""));
    assert!(
        glob("[1].csv").matches("[1].csv"),
        "brackets are themselves"
    );
}

#[test]
fn a_glob_is_case_sensitive_and_matches_the_whole_name() {
    assert!(!glob("*.csv").matches("REC.CSV"));
    assert!(!glob("rec").matches("rec.csv"));
    assert!(!glob("rec").matches("my-rec"));
}

#[test]
fn an_empty_overlong_or_slashed_glob_is_refused_by_name() {
    for (pattern, why) in [
        ("", "must not be empty"),
        ("recordings/*.csv", "no `/`"),
        ("a\tb", "control characters"),
    ] {
        let refused = Glob::parse(pattern).unwrap_err();
        assert!(
            refused.starts_with("`glob`") && refused.contains(why),
            "{refused}"
        );
    }
    assert!(Glob::parse("*".repeat(MAX_GLOB_BYTES)).is_ok());
    let refused = Glob::parse("*".repeat(MAX_GLOB_BYTES + 1)).unwrap_err();
    assert!(refused.contains("at most 200 bytes"), "{refused}");
}

#[test]
fn a_kind_is_a_media_type_or_a_class_compared_without_case_or_parameters() {
    let csv = FileKind::parse("Text/CSV").unwrap();
    assert_eq!(csv.as_str(), "text/csv");
    assert!(csv.matches("text/csv"));
    assert!(csv.matches("text/csv; charset=utf-8"));
    assert!(!csv.matches("text/plain"));
    let images = FileKind::parse("image/*").unwrap();
    assert!(images.matches("image/jpeg"));
    assert!(images.matches("IMAGE/PNG"));
    assert!(!images.matches("video/mp4"));
    assert!(!images.matches("imagex/png"));
    for bad in ["csv", "*/*", "image/", "text/c sv", ""] {
        let refused = FileKind::parse(bad).unwrap_err();
        assert!(refused.starts_with("`kind`"), "{bad}: {refused}");
    }
}

#[test]
fn every_part_of_a_filter_must_hold_and_a_part_left_out_matches_anything() {
    let csv = file("rec-01.csv", "text/csv");
    assert!(FileFilter::default().matches(&csv));
    let mut filter = FileFilter {
        app: Some(AppId::parse("gw-1").unwrap()),
        instrument: Some(InstrumentSerial::parse("LR-1").unwrap()),
        glob: Some(glob("rec-*.csv")),
        kind: Some(FileKind::parse("text/*").unwrap()),
    };
    assert!(filter.matches(&csv));
    filter.instrument = Some(InstrumentSerial::parse("LR-2").unwrap());
    assert!(!filter.matches(&csv), "another instrument");
    filter.instrument = None;
    filter.app = Some(AppId::parse("gw-2").unwrap());
    assert!(!filter.matches(&csv), "another app");
    filter.app = None;
    assert!(
        !filter.matches(&file("rec-01.bin", "text/csv")),
        "another name"
    );
    assert!(
        !filter.matches(&file("rec-01.csv", "image/png")),
        "another kind"
    );
    let mut portal = csv.clone();
    portal.app = None;
    portal.instrument = None;
    let by_app = FileFilter {
        app: Some(AppId::parse("gw-1").unwrap()),
        ..FileFilter::default()
    };
    assert!(!by_app.matches(&portal), "a file of no app is no app's");
}

#[test]
fn a_rule_fires_only_on_its_groups_files_that_arrived_after_it_was_made() {
    let upload = file("rec-01.csv", "text/csv");
    let mut rule = FileAlarm {
        account: upload.account.clone(),
        group: upload.group.clone(),
        id: FileAlarmId::parse("r1").unwrap(),
        name: "CSV".into(),
        filter: FileFilter::default(),
        created: upload.uploaded,
    };
    assert!(rule.fires_on(&upload), "made the same millisecond");
    rule.created = upload.uploaded.plus(1);
    assert!(!rule.fires_on(&upload), "made after the file arrived");
    rule.created = Millis(0);
    rule.group = GroupId::parse("lab").unwrap();
    assert!(!rule.fires_on(&upload), "another group's file");
}

#[test]
fn a_draft_names_the_field_it_refuses() {
    let cases: Vec<(FileAlarmDraft, &str)> = vec![
        (draft(""), "`name`"),
        (draft(&"x".repeat(101)), "`name`"),
        (
            FileAlarmDraft {
                app: Some("gw 1".into()),
                ..draft("a")
            },
            "`app`",
        ),
        (
            FileAlarmDraft {
                app: Some("gw-1".into()),
                instrument: Some("LR/1".into()),
                ..draft("a")
            },
            "`instrument`",
        ),
        (
            FileAlarmDraft {
                instrument: Some("LR-1".into()),
                ..draft("a")
            },
            "`instrument` needs `app`",
        ),
        (
            FileAlarmDraft {
                glob: Some("a".repeat(201)),
                ..draft("a")
            },
            "`glob`",
        ),
        (
            FileAlarmDraft {
                kind: Some("csv".into()),
                ..draft("a")
            },
            "`kind`",
        ),
    ];
    for (draft, field) in cases {
        let refused = draft.clone().parse().unwrap_err();
        assert!(refused.contains(field), "{draft:?}: {refused}");
    }
    let (name, filter) = FileAlarmDraft {
        app: Some("gw-1".into()),
        glob: Some("*.csv".into()),
        ..draft("CSV")
    }
    .parse()
    .unwrap();
    assert_eq!(name, "CSV");
    assert_eq!(filter.glob, Some(glob("*.csv")));
    let unknown = serde_json::from_str::<FileAlarmDraft>(r#"{"name":"a","pattern":"*"}"#);
    assert!(unknown.unwrap_err().to_string().contains("pattern"));
}

#[test]
fn a_notices_id_is_the_same_for_the_same_file_and_rule_and_reads_as_an_inbox_id() {
    let upload = file("rec-01.csv", "text/csv");
    let rule = FileAlarm {
        account: upload.account.clone(),
        group: upload.group.clone(),
        id: FileAlarmId::parse("0123456789ab").unwrap(),
        name: "CSV".into(),
        filter: FileFilter::default(),
        created: Millis(0),
    };
    let notice = FileNotice::of(&rule, &upload);
    assert_eq!(
        notice.id(),
        "001796173200000.file.00000000000000000000abcd.0123456789ab"
    );
    assert_eq!(FileNotice::of(&rule, &upload).id(), notice.id());
    assert!(crate::domain::inbox::NotificationId::parse(&notice.id()).is_ok());
}

/// What a glob means, said the slow way: every split of the name tried.
fn reference(pattern: &[char], name: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|taken| reference(rest, &name[taken..])),
        Some(('?', rest)) => !name.is_empty() && reference(rest, &name[1..]),
        Some((c, rest)) => name.first() == Some(c) && reference(rest, &name[1..]),
    }
}

proptest! {
    #[test]
    fn matching_agrees_with_trying_every_split(
        pattern in "[ab*?]{1,8}",
        name in "[ab]{0,10}",
    ) {
        let chars: Vec<char> = pattern.chars().collect();
        let expected = reference(&chars, &name.chars().collect::<Vec<_>>());
        prop_assert_eq!(glob(&pattern).matches(&name), expected);
    }

    #[test]
    fn a_name_matches_itself_and_itself_with_any_characters_starred_or_questioned(
        name in "[a-z0-9._\\-]{1,20}",
        marks in proptest::collection::vec(0u8..3, 20),
    ) {
        prop_assert!(glob(&name).matches(&name));
        let masked: String = name
            .chars()
            .zip(&marks)
            .map(|(c, mark)| match mark {
                0 => c.to_string(),
                1 => "?".into(),
                _ => "*".into(),
            })
            .collect();
        prop_assert!(glob(&masked).matches(&name), "{} should match {}", masked, name);
    }
}
