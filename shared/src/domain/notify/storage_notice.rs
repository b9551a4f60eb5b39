//! A storage notice as words (SPEC.md 8): the mail the daily quota sweep sends to an
//! account's contract e-mail when its storage is nearly full or over capacity, in the
//! account's language. Each notice has a date that makes it one of its kind: the day
//! it was found nearly full, or the deletion deadline of an over-capacity crossing
//! (a China Standard Time day, and the mail says so).

use std::fmt;

use chrono::NaiveDate;

use super::Message;
use crate::domain::registry::Account;
use crate::domain::schedule::StorageAction;
use crate::domain::settings::Language;

/// What a storage notice tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StorageNoticeKind {
    /// Less than 10% of the capacity is free.
    NearlyFull,
    /// Over capacity: everything is deleted after the deadline unless back within it.
    OverCapacity,
    /// Still over capacity after the deadline: everything was deleted. Dated by the
    /// deadline, so a deletion spread over several runs is told once.
    Deleted,
}

impl StorageNoticeKind {
    /// As keys and logs write it.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageNoticeKind::NearlyFull => "nearly-full",
            StorageNoticeKind::OverCapacity => "over-capacity",
            StorageNoticeKind::Deleted => "deleted",
        }
    }
}

impl fmt::Display for StorageNoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One notice: its kind and the date that makes it one (see the module's comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StorageNotice {
    pub kind: StorageNoticeKind,
    pub date: NaiveDate,
}

impl StorageNotice {
    /// The notice `action` calls for on `today`, if it calls for one.
    pub fn of(action: StorageAction, today: NaiveDate) -> Option<StorageNotice> {
        match action {
            StorageAction::NotifyNearlyFull => Some(StorageNotice {
                kind: StorageNoticeKind::NearlyFull,
                date: today,
            }),
            StorageAction::NotifyOverCapacity { deadline } => Some(StorageNotice {
                kind: StorageNoticeKind::OverCapacity,
                date: deadline,
            }),
            StorageAction::DeleteAll { .. } => None,
        }
    }
}

/// The phrases of one language. `{account}`, `{name}`, `{used}`, `{capacity}` and
/// `{date}` stand for the account's ID and name, its storage used and capacity, and the
/// notice's date.
struct Phrases {
    subject_nearly_full: &'static str,
    subject_over_capacity: &'static str,
    subject_deleted: &'static str,
    nearly_full: &'static str,
    over_capacity: &'static str,
    deleted: &'static str,
    calendar: &'static str,
}

fn phrases(language: Language) -> &'static Phrases {
    match language {
        Language::ChineseSimplified => &ZH_CN,
        Language::Japanese => &JA,
        Language::English => &EN,
        Language::Spanish => &ES,
        Language::French => &FR,
        Language::German => &DE,
        Language::Italian => &IT,
    }
}

static ZH_CN: Phrases = Phrases {
    subject_nearly_full: "您的存储空间即将用满",
    subject_over_capacity: "您的存储空间已超出容量",
    nearly_full: "账户 {account}（{name}）已使用{used}，容量为{capacity}，剩余空间不足10%。请删除不再需要的文件或数据，或更换更大的套餐。",
    over_capacity: "账户 {account}（{name}）已使用{used}，超出其{capacity}的容量。如果到{date}仍超出容量，次日将删除该账户的全部测量数据和文件。",
    subject_deleted: "您的数据已被删除",
    deleted: "账户 {account}（{name}）在截止日期{date}之后仍超出其{capacity}的容量，其全部测量数据和文件已被删除。",
    calendar: "日期均为中国标准时间（UTC+8）。",
};

static JA: Phrases = Phrases {
    subject_nearly_full: "ストレージの空きが残りわずかです",
    subject_over_capacity: "ストレージが容量を超えています",
    nearly_full: "アカウント {account}（{name}）は容量{capacity}のうち{used}を使用しており、空きが10%未満です。不要なファイルやデータを削除するか、より大きなプランに変更してください。",
    over_capacity: "アカウント {account}（{name}）の使用量{used}は容量{capacity}を超えています。{date}までに容量内に戻らない場合、翌日にすべての測定データとファイルが削除されます。",
    subject_deleted: "データを削除しました",
    deleted: "アカウント {account}（{name}）は期限の{date}を過ぎても容量{capacity}を超えていたため、すべての測定データとファイルを削除しました。",
    calendar: "日付は中国標準時（UTC+8）です。",
};

static EN: Phrases = Phrases {
    subject_nearly_full: "Your storage is nearly full",
    subject_over_capacity: "Your storage is over capacity",
    nearly_full: "Account {account} ({name}) uses {used} of its {capacity} of storage: less than 10% is free. Delete files or data you no longer need, or change to a larger plan.",
    over_capacity: "Account {account} ({name}) stores {used}, more than its {capacity} of storage. If it is still over capacity on {date}, all its measurement data and files are deleted the day after.",
    subject_deleted: "Your data has been deleted",
    deleted: "Account {account} ({name}) was still over its {capacity} of storage after its deadline, {date}: all its measurement data and files have been deleted.",
    calendar: "Dates are in China Standard Time (UTC+8).",
};

static ES: Phrases = Phrases {
    subject_nearly_full: "Su almacenamiento está casi lleno",
    subject_over_capacity: "Su almacenamiento supera su capacidad",
    nearly_full: "La cuenta {account} ({name}) usa {used} de sus {capacity} de almacenamiento: queda menos del 10% libre. Elimine los archivos o datos que ya no necesite, o cambie a un plan mayor.",
    over_capacity: "La cuenta {account} ({name}) almacena {used}, más que sus {capacity} de almacenamiento. Si el {date} sigue por encima de su capacidad, al día siguiente se eliminarán todos sus datos de medición y archivos.",
    subject_deleted: "Sus datos han sido eliminados",
    deleted: "La cuenta {account} ({name}) seguía por encima de sus {capacity} de almacenamiento después de su plazo, el {date}: se han eliminado todos sus datos de medición y archivos.",
    calendar: "Las fechas están en hora estándar de China (UTC+8).",
};

static FR: Phrases = Phrases {
    subject_nearly_full: "Votre stockage est presque plein",
    subject_over_capacity: "Votre stockage dépasse sa capacité",
    nearly_full: "Le compte {account} ({name}) utilise {used} de ses {capacity} de stockage : moins de 10 % sont libres. Supprimez les fichiers ou données inutiles, ou passez à une formule plus grande.",
    over_capacity: "Le compte {account} ({name}) stocke {used}, plus que ses {capacity} de stockage. S'il dépasse encore sa capacité le {date}, toutes ses données de mesure et tous ses fichiers seront supprimés le lendemain.",
    subject_deleted: "Vos données ont été supprimées",
    deleted: "Le compte {account} ({name}) dépassait encore ses {capacity} de stockage après son échéance du {date} : toutes ses données de mesure et tous ses fichiers ont été supprimés.",
    calendar: "Les dates sont à l'heure normale de Chine (UTC+8).",
};

static DE: Phrases = Phrases {
    subject_nearly_full: "Ihr Speicher ist fast voll",
    subject_over_capacity: "Ihr Speicher ist überschritten",
    nearly_full: "Das Konto {account} ({name}) belegt {used} seiner {capacity} Speicher: weniger als 10 % sind frei. Löschen Sie nicht mehr benötigte Dateien oder Daten, oder wechseln Sie zu einem größeren Tarif.",
    over_capacity: "Das Konto {account} ({name}) speichert {used}, mehr als seine {capacity} Speicher. Liegt es am {date} noch darüber, werden am Tag danach alle seine Messdaten und Dateien gelöscht.",
    subject_deleted: "Ihre Daten wurden gelöscht",
    deleted: "Das Konto {account} ({name}) lag nach seiner Frist am {date} noch über seinen {capacity} Speicher: alle seine Messdaten und Dateien wurden gelöscht.",
    calendar: "Datumsangaben in chinesischer Normalzeit (UTC+8).",
};

static IT: Phrases = Phrases {
    subject_nearly_full: "Il suo spazio è quasi pieno",
    subject_over_capacity: "Il suo spazio supera la capacità",
    nearly_full: "L'account {account} ({name}) usa {used} dei suoi {capacity} di spazio: meno del 10% è libero. Elimini i file o i dati che non servono più, o passi a un piano più grande.",
    over_capacity: "L'account {account} ({name}) occupa {used}, più dei suoi {capacity} di spazio. Se il {date} supera ancora la capacità, il giorno dopo tutti i suoi dati di misura e file saranno eliminati.",
    subject_deleted: "I suoi dati sono stati eliminati",
    deleted: "L'account {account} ({name}) superava ancora i suoi {capacity} di spazio dopo la scadenza del {date}: tutti i suoi dati di misura e file sono stati eliminati.",
    calendar: "Le date sono nell'ora standard della Cina (UTC+8).",
};

/// The mail of `notice` for `account`, which uses `used` of `capacity` bytes, in the
/// account's language.
pub fn storage_notice_message(
    account: &Account,
    notice: &StorageNotice,
    used: u64,
    capacity: u64,
) -> Message {
    let words = phrases(account.language);
    let (subject, text) = match notice.kind {
        StorageNoticeKind::NearlyFull => (words.subject_nearly_full, words.nearly_full),
        StorageNoticeKind::OverCapacity => (words.subject_over_capacity, words.over_capacity),
        StorageNoticeKind::Deleted => (words.subject_deleted, words.deleted),
    };
    let text = text
        .replace("{account}", account.id.as_str())
        .replace("{name}", &account.name)
        .replace("{used}", &gigabytes(used))
        .replace("{capacity}", &gigabytes(capacity))
        .replace("{date}", &notice.date.format("%Y-%m-%d").to_string());
    Message {
        subject: format!("[fieldcloud] {subject}"),
        text: format!("{text}\n\n{}\n", words.calendar),
    }
}

/// Bytes in decimal gigabytes to two places, as the plan table counts them (`5 GB`):
/// enough to see how far over or under a capacity one is.
fn gigabytes(bytes: u64) -> String {
    let hundredths = bytes / 10_000_000;
    match hundredths % 100 {
        0 => format!("{} GB", hundredths / 100),
        part => format!("{}.{part:02} GB", hundredths / 100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::AccountId;
    use crate::domain::plan::Plan;
    use crate::domain::record::Millis;

    fn account(language: Language) -> Account {
        let mut account = Account::new(
            AccountId::parse("acme").unwrap(),
            "Acme Ltd".into(),
            Plan::Free,
            Millis(0),
        );
        account.language = language;
        account
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn an_over_capacity_notice_names_the_deadline_and_both_sizes() {
        let notice = StorageNotice {
            kind: StorageNoticeKind::OverCapacity,
            date: day("2027-03-04"),
        };
        let message = storage_notice_message(
            &account(Language::English),
            &notice,
            6_250_000_000,
            5_000_000_000,
        );
        assert_eq!(
            message.subject,
            "[fieldcloud] Your storage is over capacity"
        );
        assert!(
            message.text.starts_with(
                "Account acme (Acme Ltd) stores 6.25 GB, more than its 5 GB of storage. If it is still over capacity on 2027-03-04,"
            ),
            "{}",
            message.text
        );
        assert!(message.text.contains("China Standard Time"));
    }

    #[test]
    fn every_language_has_its_own_words_for_each_notice() {
        let languages = [
            Language::ChineseSimplified,
            Language::Japanese,
            Language::English,
            Language::Spanish,
            Language::French,
            Language::German,
            Language::Italian,
        ];
        for kind in [
            StorageNoticeKind::NearlyFull,
            StorageNoticeKind::OverCapacity,
            StorageNoticeKind::Deleted,
        ] {
            // A deletion notice tells the capacity and the deadline passed, not what was
            // used (nothing is, once it is sent).
            let size = match kind {
                StorageNoticeKind::Deleted => "5 GB",
                _ => "4.60 GB",
            };
            let notice = StorageNotice {
                kind,
                date: day("2027-03-04"),
            };
            let mut seen = std::collections::BTreeSet::new();
            for language in languages {
                let message = storage_notice_message(
                    &account(language),
                    &notice,
                    4_600_000_000,
                    5_000_000_000,
                );
                assert!(
                    message.text.contains(size),
                    "{language:?}: {}",
                    message.text
                );
                assert!(
                    !message.text.contains('{'),
                    "{language:?}: {}",
                    message.text
                );
                assert!(seen.insert(message.subject), "{language:?} {kind}");
            }
        }
    }

    #[test]
    fn the_notice_of_a_crossing_is_dated_by_its_deadline_and_nearly_full_by_its_day() {
        let today = day("2027-02-01");
        let deadline = day("2027-03-04");
        assert_eq!(
            StorageNotice::of(StorageAction::NotifyOverCapacity { deadline }, today),
            Some(StorageNotice {
                kind: StorageNoticeKind::OverCapacity,
                date: deadline
            })
        );
        assert_eq!(
            StorageNotice::of(StorageAction::NotifyNearlyFull, today).map(|n| n.date),
            Some(today)
        );
        assert_eq!(
            StorageNotice::of(StorageAction::DeleteAll { deadline }, today),
            None
        );
    }
}
