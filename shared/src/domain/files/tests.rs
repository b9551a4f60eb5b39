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
