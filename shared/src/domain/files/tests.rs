use super::*;

fn ids() -> (AccountId, GroupId, FileId) {
    (
        AccountId::parse("acme").unwrap(),
        GroupId::parse("plant").unwrap(),
        FileId::from_random(u128::MAX),
    )
}

#[test]
fn a_key_says_whose_file_it_is_and_no_other_key_does() {
    let (account, group, file) = ids();
    let key = object_key(&account, &group, &file);
    assert_eq!(key, "files/acme/plant/ffffffffffffffffffffffff");
    assert_eq!(file_of_key(&key), Some((account, group, file)));
    for other in [
        "files/acme/plant",
        "files/acme/plant/ffffffffffffffffffffffff/x",
        "files/acme/plant/not-an-id",
        "exports/acme/plant/ffffffffffffffffffffffff",
        "files/ACME/plant/ffffffffffffffffffffffff",
        "files//plant/ffffffffffffffffffffffff",
    ] {
        assert_eq!(file_of_key(other), None, "{other}");
    }
}

fn draft() -> UploadDraft {
    UploadDraft {
        name: "Recording 2026-12-02.csv".into(),
        folder: "line 1/power".into(),
        size: 1,
        content_type: "text/csv".into(),
        multipart: false,
        app: None,
        instrument: None,
    }
}

#[test]
fn an_upload_names_what_is_wrong_with_it() {
    assert_eq!(draft().check(), Ok(()));
    let cases: Vec<(UploadDraft, &str)> = vec![
        (
            UploadDraft {
                name: String::new(),
                ..draft()
            },
            "`name` \"\": must not be empty",
        ),
        (
            UploadDraft {
                name: "a/b".into(),
                ..draft()
            },
            "must not contain `/`",
        ),
        (
            UploadDraft {
                name: "..".into(),
                ..draft()
            },
            "is not a name",
        ),
        (
            UploadDraft {
                name: "a\u{0}".into(),
                ..draft()
            },
            "control characters",
        ),
        (
            UploadDraft {
                name: "report\u{202E}vsc.exe".into(),
                ..draft()
            },
            "invisible",
        ),
        (
            UploadDraft {
                name: "é".repeat(128),
                ..draft()
            },
            "at most 255 bytes",
        ),
        (
            UploadDraft {
                folder: "a//b".into(),
                ..draft()
            },
            "`folder` \"\"",
        ),
        (
            UploadDraft {
                folder: "a/".repeat(16) + "a",
                ..draft()
            },
            "16 folders deep",
        ),
        (UploadDraft { size: 0, ..draft() }, "`size` 0"),
        (
            UploadDraft {
                instrument: Some(crate::domain::ids::InstrumentSerial::parse("LR-1").unwrap()),
                ..draft()
            },
            "`instrument` needs `app`",
        ),
        (
            UploadDraft {
                size: MAX_SINGLE_UPLOAD_BYTES + 1,
                ..draft()
            },
            "100 MiB",
        ),
        (
            UploadDraft {
                content_type: "csv".into(),
                ..draft()
            },
            "`content_type`",
        ),
        (
            UploadDraft {
                content_type: "text/csv; x\r\n".into(),
                ..draft()
            },
            "`content_type`",
        ),
    ];
    for (draft, why) in cases {
        let error = draft.check().unwrap_err();
        assert!(error.contains(why), "{error} / {why}");
    }
    assert_eq!(
        UploadDraft {
            size: MAX_SINGLE_UPLOAD_BYTES,
            folder: String::new(),
            ..draft()
        }
        .check(),
        Ok(())
    );
}

#[test]
fn exactly_full_fits_and_a_byte_more_does_not() {
    assert!(fits(90, 10, 100));
    assert!(!fits(90, 11, 100));
    assert!(!fits(u64::MAX, 1, u64::MAX));
}

fn entry(id: u128, name: &str, folder: &str, size: u64, uploaded: i64) -> FileEntry {
    let (account, group, _) = ids();
    FileEntry {
        account,
        group,
        id: FileId::from_random(id << 32),
        name: name.into(),
        folder: folder.into(),
        size,
        content_type: "text/csv".into(),
        sha256: String::new(),
        uploader: "ops".into(),
        uploaded: Millis(uploaded),
        app: None,
        instrument: None,
    }
}

/// Every page of `files` under `query`, followed to the end.
fn all_pages(files: &[FileEntry], mut query: FilesQuery) -> (Vec<FileEntry>, usize) {
    let (mut seen, mut pages) = (Vec::new(), 0);
    loop {
        let listed = page(files.to_vec(), &[], &query);
        pages += 1;
        seen.extend(listed.files);
        match listed.next {
            Some(next) => {
                query.cursor = Some(parse_cursor(&next, query.sort, query.descending).unwrap())
            }
            None => return (seen, pages),
        }
    }
}

proptest::proptest! {
    #[test]
    fn pages_followed_to_the_end_show_each_file_once_in_order(
        shapes in proptest::collection::vec((0u8..6, 0u64..5, 0i64..5), 0..40),
        limit in 1usize..7,
        sort in 0usize..3,
        descending in proptest::bool::ANY,
    ) {
        // Few distinct names, sizes and times: ties are the hard part.
        let files: Vec<FileEntry> = shapes
            .iter()
            .enumerate()
            .map(|(i, &(name, size, time))| {
                let name = ["a.csv", "B.csv", "b.csv", "c.csv", "Ä.csv", "a.csv"][usize::from(name)];
                entry(i as u128 + 1, name, "", size, time)
            })
            .collect();
        let sort = [FileSort::Name, FileSort::Size, FileSort::Time][sort];
        let query = FilesQuery { sort, descending, limit, ..FilesQuery::default() };
        let (seen, pages) = all_pages(&files, query);
        proptest::prop_assert_eq!(seen.len(), files.len());
        proptest::prop_assert!(pages <= files.len() / limit + 1);
        let mut ids: Vec<&FileId> = seen.iter().map(|f| &f.id).collect();
        ids.sort();
        ids.dedup();
        proptest::prop_assert_eq!(ids.len(), files.len());
        for pair in seen.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let ascending = match sort {
                FileSort::Name => a.name.to_lowercase() <= b.name.to_lowercase(),
                FileSort::Size => a.size <= b.size,
                FileSort::Time => a.uploaded <= b.uploaded,
            };
            let tied = match sort {
                FileSort::Name => a.name.to_lowercase() == b.name.to_lowercase(),
                FileSort::Size => a.size == b.size,
                FileSort::Time => a.uploaded == b.uploaded,
            };
            proptest::prop_assert!(tied || ascending != descending, "{a:?} then {b:?}");
        }
    }
}

#[test]
fn a_folder_lists_its_own_files_and_the_folders_directly_below() {
    let files = vec![
        entry(1, "top.csv", "", 1, 0),
        entry(2, "a.csv", "line 1", 1, 0),
        entry(3, "b.csv", "line 1/power", 1, 0),
        entry(4, "c.csv", "line 1/power/hourly", 1, 0),
        entry(5, "d.csv", "line 10", 1, 0),
        entry(6, "e.csv", "line 1/heat", 1, 0),
    ];
    let listed = |folder: &str| {
        let query = FilesQuery {
            folder: Some(folder.into()),
            ..FilesQuery::default()
        };
        let page = page(files.clone(), &[], &query);
        let names: Vec<String> = page.files.into_iter().map(|f| f.name).collect();
        (names, page.folders.unwrap())
    };
    assert_eq!(
        listed(""),
        (
            vec!["top.csv".into()],
            vec!["line 1".into(), "line 10".into()]
        )
    );
    assert_eq!(
        listed("line 1"),
        (vec!["a.csv".into()], vec!["heat".into(), "power".into()])
    );
    assert_eq!(
        listed("line 1/power"),
        (vec!["b.csv".into()], vec!["hourly".into()])
    );
    assert_eq!(listed("nowhere"), (vec![], vec![]));
    let everything = page(files.clone(), &[], &FilesQuery::default());
    assert_eq!(everything.files.len(), 6);
    assert_eq!(everything.folders, None);
}

#[test]
fn a_cursor_is_read_only_under_the_sort_and_order_that_made_it() {
    let files: Vec<FileEntry> = (1..=3).map(|i| entry(i, "x.csv", "", 7, 9)).collect();
    let query = FilesQuery {
        sort: FileSort::Size,
        limit: 1,
        ..FilesQuery::default()
    };
    let next = page(files, &[], &query).next.unwrap();
    assert!(parse_cursor(&next, FileSort::Size, false).is_ok());
    for (text, sort, descending) in [
        (next.as_str(), FileSort::Size, true),
        (next.as_str(), FileSort::Name, false),
        (next.as_str(), FileSort::Time, false),
        ("!!", FileSort::Size, false),
        ("bm90LWEtY3Vyc29y", FileSort::Name, false),
    ] {
        let error = parse_cursor(text, sort, descending).unwrap_err();
        assert!(error.contains("`cursor`"), "{error}");
    }
}

#[test]
fn a_download_is_saved_under_the_files_own_name() {
    assert_eq!(
        content_disposition("report.csv"),
        "attachment; filename=\"report.csv\"; filename*=UTF-8''report.csv"
    );
    assert_eq!(
        content_disposition("März \"final\".csv"),
        "attachment; filename=\"M_rz _final_.csv\"; filename*=UTF-8''M%C3%A4rz%20%22final%22.csv"
    );
}

#[test]
fn a_placement_changes_what_it_names_and_checks_it() {
    let moved = FilePlacement {
        name: None,
        folder: Some("archive/2026".into()),
    };
    assert_eq!(moved.check(), Ok(()));
    let placed = moved.apply(entry(1, "a.csv", "line 1", 1, 0));
    assert_eq!(
        (placed.name.as_str(), placed.folder.as_str()),
        ("a.csv", "archive/2026")
    );
    let nothing = FilePlacement {
        name: None,
        folder: None,
    };
    assert!(nothing.check().unwrap_err().contains("`name`"));
    let bad = FilePlacement {
        name: Some("a/b".into()),
        folder: None,
    };
    assert!(bad.check().unwrap_err().contains("`/`"));
}

#[test]
fn parts_add_up_to_exactly_the_size_handed_out() {
    for size in [
        PART_BYTES + 1,
        2 * PART_BYTES,
        2 * PART_BYTES + 7,
        MAX_UPLOAD_BYTES,
    ] {
        let count = part_count(size);
        let total: u64 = (1..=count).map(|n| part_bytes(size, n).unwrap()).sum();
        assert_eq!(total, size, "{size}");
        assert_eq!(part_bytes(size, 0), None);
        assert_eq!(part_bytes(size, count + 1), None);
        assert!((1..count).all(|n| part_bytes(size, n) == Some(PART_BYTES)));
    }
    assert_eq!(part_count(PART_BYTES + 1), 2);
    assert_eq!(part_bytes(PART_BYTES + 1, 2), Some(1));
    assert_eq!(part_count(MAX_UPLOAD_BYTES), 1_280);
}

#[test]
fn the_completion_of_the_largest_file_fits_the_body_a_completion_may_have() {
    let parts: Vec<serde_json::Value> = (1..=part_count(MAX_UPLOAD_BYTES))
        .map(|number| serde_json::json!({"number": number, "etag": format!("\"{}\"", "f".repeat(32))}))
        .collect();
    let body = serde_json::json!({ "parts": parts }).to_string();
    assert!(body.len() < MAX_COMPLETION_BYTES, "{} bytes", body.len());
    let completion: Completion = serde_json::from_str(&body).unwrap();
    assert_eq!(completion.check(MAX_UPLOAD_BYTES), Ok(()));
}

#[test]
fn an_upload_in_parts_is_asked_for_where_one_put_cannot_take_the_file() {
    let multipart = |size| UploadDraft {
        size,
        multipart: true,
        ..draft()
    };
    assert_eq!(multipart(PART_BYTES + 1).check(), Ok(()));
    assert_eq!(multipart(MAX_UPLOAD_BYTES).check(), Ok(()));
    for size in [PART_BYTES, MAX_UPLOAD_BYTES + 1] {
        assert!(multipart(size).check().unwrap_err().contains("in parts"));
    }
    let single = UploadDraft {
        size: MAX_SINGLE_UPLOAD_BYTES + 1,
        ..draft()
    };
    assert!(single.check().unwrap_err().contains("\"multipart\": true"));
}

#[test]
fn part_urls_are_signed_only_for_the_uploads_own_parts() {
    let size = 3 * PART_BYTES;
    let asked = |parts: Vec<u32>| PartsAsked { parts }.check(size);
    assert_eq!(asked(vec![1, 2, 3]), Ok(()));
    for (parts, why) in [
        (vec![], "from 1 to 100"),
        (vec![1; MAX_PARTS_PER_REQUEST + 1], "from 1 to 100"),
        (vec![0], "part 0"),
        (
            vec![1, 4],
            "part 4 is not one of this upload's parts 1 to 3",
        ),
    ] {
        assert!(asked(parts.clone()).unwrap_err().contains(why), "{parts:?}");
    }
}

#[test]
fn a_completion_names_each_part_once_in_order() {
    let size = 2 * PART_BYTES + 1;
    let part = |number: u32, etag: &str| CompletedPart {
        number,
        etag: etag.into(),
    };
    let complete = |parts| Completion { parts }.check(size);
    let tag = "\"9b2cf535f27731c974343645a3985328\"";
    assert_eq!(
        complete(vec![part(1, tag), part(2, tag), part(3, tag)]),
        Ok(())
    );
    for (parts, why) in [
        (
            vec![part(1, tag), part(2, tag)],
            "has 3 parts, 2 were given",
        ),
        (vec![part(1, tag), part(3, tag), part(2, tag)], "got part 3"),
        (vec![part(1, tag), part(1, tag), part(3, tag)], "got part 1"),
        (
            vec![part(1, tag), part(2, ""), part(3, tag)],
            "part 2's `etag`",
        ),
        (
            vec![part(1, tag), part(2, "a b"), part(3, tag)],
            "part 2's `etag`",
        ),
    ] {
        let error = complete(parts).unwrap_err();
        assert!(error.contains(why), "{error} / {why}");
    }
}

#[test]
fn every_character_that_reorders_breaks_or_hides_text_is_refused_in_a_name() {
    for hidden in [
        '\u{00AD}',
        '\u{061C}',
        '\u{180E}',
        '\u{200B}',
        '\u{200F}',
        '\u{2028}',
        '\u{2029}',
        '\u{202A}',
        '\u{202E}',
        '\u{2066}',
        '\u{FEFF}',
        '\u{E0001}',
        '\u{E007F}',
    ] {
        let name = format!("report{hidden}.csv");
        let error = check_name("name", &name).unwrap_err();
        assert!(
            error.contains("invisible"),
            "U+{:04X}: {error}",
            u32::from(hidden)
        );
    }
    assert_eq!(check_name("name", "Bericht März 炉温.csv"), Ok(()));
}

#[test]
fn a_folder_made_empty_is_listed_beside_those_holding_files_and_so_are_its_parents() {
    let files = vec![entry(1, "a.csv", "plant/line 1", 1, 0)];
    let empty = ["plant/line 2/2026".to_owned(), "archive".to_owned()];
    let query = |folder: &str| FilesQuery {
        folder: Some(folder.into()),
        ..FilesQuery::default()
    };
    let top = page(files.clone(), &empty, &query(""));
    assert_eq!(top.folders, Some(vec!["archive".into(), "plant".into()]));
    let plant = page(files.clone(), &empty, &query("plant"));
    assert_eq!(plant.folders, Some(vec!["line 1".into(), "line 2".into()]));
    assert!(plant.files.is_empty());
    let empty_one = page(files, &empty, &query("plant/line 2/2026"));
    assert_eq!(empty_one.folders, Some(vec![]));
}
