//! A license reminder as words (SPEC.md 8): the mail the daily job sends to an account's
//! contract e-mail, in the account's language. The dates are China Standard Time days,
//! the calendar every scheduled rule counts on, and the mail says so.

use chrono::NaiveDate;

use super::Message;
use crate::domain::plan::Plan;
use crate::domain::registry::Account;
use crate::domain::schedule::{Reminder, ReminderKind};
use crate::domain::settings::Language;

/// The phrases of one language. `{account}`, `{name}`, `{date}`, `{days}` and
/// `{storage}` stand for the account's ID and name, the expiry date, the days left and
/// Free's storage.
struct Phrases {
    subject_ahead: &'static str,
    subject_today: &'static str,
    subject_expired: &'static str,
    ahead: &'static str,
    today: &'static str,
    expired: &'static str,
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
    subject_ahead: "您的许可证将于{date}到期",
    subject_today: "您的许可证今天到期",
    subject_expired: "您的许可证已到期",
    ahead: "账户 {account}（{name}）的许可证将于{date}到期，还剩{days}天。请在此之前续订，以保留当前套餐。",
    today: "账户 {account}（{name}）的许可证今天（{date}）到期。请于今天续订，以保留当前套餐。",
    expired: "账户 {account}（{name}）的许可证已于{date}到期。该账户现已转为免费套餐：存储容量{storage}，数据和文件保留1年。续订即可恢复原套餐。",
    calendar: "日期均为中国标准时间（UTC+8）。",
};

static JA: Phrases = Phrases {
    subject_ahead: "ライセンスの有効期限は{date}です",
    subject_today: "ライセンスの有効期限は本日です",
    subject_expired: "ライセンスの有効期限が切れました",
    ahead: "アカウント {account}（{name}）のライセンスは{date}に期限切れとなります（残り{days}日）。プランを継続するには、それまでに更新してください。",
    today: "アカウント {account}（{name}）のライセンスは本日（{date}）期限切れとなります。プランを継続するには、本日中に更新してください。",
    expired: "アカウント {account}（{name}）のライセンスは{date}に期限切れとなりました。アカウントはFreeプラン（ストレージ{storage}、データとファイルの保存期間1年）に移行しました。更新すると元のプランに戻ります。",
    calendar: "日付は中国標準時（UTC+8）です。",
};

static EN: Phrases = Phrases {
    subject_ahead: "Your license ends on {date}",
    subject_today: "Your license ends today",
    subject_expired: "Your license has ended",
    ahead: "The license of account {account} ({name}) ends on {date}, in {days} days. Renew it before then to keep your plan.",
    today: "The license of account {account} ({name}) ends today, {date}. Renew it today to keep your plan.",
    expired: "The license of account {account} ({name}) ended on {date}. The account is now on the Free plan: {storage} of storage, data and files kept for 1 year. Renew to return to your plan.",
    calendar: "Dates are in China Standard Time (UTC+8).",
};

static ES: Phrases = Phrases {
    subject_ahead: "Su licencia vence el {date}",
    subject_today: "Su licencia vence hoy",
    subject_expired: "Su licencia ha vencido",
    ahead: "La licencia de la cuenta {account} ({name}) vence el {date}, dentro de {days} días. Renuévela antes para conservar su plan.",
    today: "La licencia de la cuenta {account} ({name}) vence hoy, {date}. Renuévela hoy para conservar su plan.",
    expired: "La licencia de la cuenta {account} ({name}) venció el {date}. La cuenta pasa al plan Free: {storage} de almacenamiento, datos y archivos conservados 1 año. Renueve para volver a su plan.",
    calendar: "Las fechas están en hora estándar de China (UTC+8).",
};

static FR: Phrases = Phrases {
    subject_ahead: "Votre licence expire le {date}",
    subject_today: "Votre licence expire aujourd'hui",
    subject_expired: "Votre licence a expiré",
    ahead: "La licence du compte {account} ({name}) expire le {date}, dans {days} jours. Renouvelez-la d'ici là pour conserver votre formule.",
    today: "La licence du compte {account} ({name}) expire aujourd'hui, le {date}. Renouvelez-la aujourd'hui pour conserver votre formule.",
    expired: "La licence du compte {account} ({name}) a expiré le {date}. Le compte passe à la formule Free : {storage} de stockage, données et fichiers conservés 1 an. Renouvelez pour retrouver votre formule.",
    calendar: "Les dates sont à l'heure normale de Chine (UTC+8).",
};

static DE: Phrases = Phrases {
    subject_ahead: "Ihre Lizenz läuft am {date} ab",
    subject_today: "Ihre Lizenz läuft heute ab",
    subject_expired: "Ihre Lizenz ist abgelaufen",
    ahead: "Die Lizenz des Kontos {account} ({name}) läuft am {date} ab, in {days} Tagen. Verlängern Sie sie bis dahin, um Ihren Tarif zu behalten.",
    today: "Die Lizenz des Kontos {account} ({name}) läuft heute, am {date}, ab. Verlängern Sie sie heute, um Ihren Tarif zu behalten.",
    expired: "Die Lizenz des Kontos {account} ({name}) ist am {date} abgelaufen. Das Konto ist jetzt im Tarif Free: {storage} Speicher, Daten und Dateien werden 1 Jahr aufbewahrt. Verlängern Sie, um zu Ihrem Tarif zurückzukehren.",
    calendar: "Datumsangaben in chinesischer Normalzeit (UTC+8).",
};

static IT: Phrases = Phrases {
    subject_ahead: "La sua licenza scade il {date}",
    subject_today: "La sua licenza scade oggi",
    subject_expired: "La sua licenza è scaduta",
    ahead: "La licenza dell'account {account} ({name}) scade il {date}, tra {days} giorni. La rinnovi entro tale data per mantenere il suo piano.",
    today: "La licenza dell'account {account} ({name}) scade oggi, {date}. La rinnovi oggi per mantenere il suo piano.",
    expired: "La licenza dell'account {account} ({name}) è scaduta il {date}. L'account passa al piano Free: {storage} di spazio, dati e file conservati per 1 anno. Rinnovi per tornare al suo piano.",
    calendar: "Le date sono nell'ora standard della Cina (UTC+8).",
};

/// The mail of `reminder` for `account`, whose license expires on `expiry` (a China
/// Standard Time day), in the account's language.
pub fn license_reminder_message(
    account: &Account,
    reminder: &Reminder,
    expiry: NaiveDate,
) -> Message {
    let words = phrases(account.language);
    let (subject, text) = match reminder.kind {
        ReminderKind::Monthly | ReminderKind::Weekly | ReminderKind::SevenDays => {
            (words.subject_ahead, words.ahead)
        }
        ReminderKind::ExpiresToday => (words.subject_today, words.today),
        ReminderKind::Expired => (words.subject_expired, words.expired),
    };
    let fill = |template: &str| {
        template
            .replace("{account}", account.id.as_str())
            .replace("{name}", &account.name)
            .replace("{date}", &expiry.format("%Y-%m-%d").to_string())
            .replace(
                "{days}",
                &(expiry - reminder.day).num_days().max(0).to_string(),
            )
            .replace("{storage}", &free_storage())
    };
    Message {
        subject: format!("[fieldcloud] {}", fill(subject)),
        text: format!("{}\n\n{}\n", fill(text), words.calendar),
    }
}

/// Free's capacity in whole gigabytes, as the plan table says it.
fn free_storage() -> String {
    format!("{} GB", Plan::Free.limits().storage_bytes / 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::AccountId;
    use crate::domain::record::Millis;

    fn account(language: Language) -> Account {
        let mut account = Account::new(
            AccountId::parse("acme").unwrap(),
            "Acme Ltd".into(),
            Plan::Standard,
            Millis(0),
        );
        account.language = language;
        account
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn reminder(kind: ReminderKind, on: &str) -> Reminder {
        Reminder { kind, day: day(on) }
    }

    #[test]
    fn a_reminder_ahead_names_the_account_the_date_and_the_days_left() {
        let message = license_reminder_message(
            &account(Language::English),
            &reminder(ReminderKind::SevenDays, "2027-03-08"),
            day("2027-03-15"),
        );
        assert_eq!(
            message.subject,
            "[fieldcloud] Your license ends on 2027-03-15"
        );
        assert!(
            message.text.starts_with(
                "The license of account acme (Acme Ltd) ends on 2027-03-15, in 7 days."
            ),
            "{}",
            message.text
        );
        assert!(message.text.contains("China Standard Time"));
    }

    #[test]
    fn the_expired_notice_tells_of_free_and_its_storage() {
        let message = license_reminder_message(
            &account(Language::German),
            &reminder(ReminderKind::Expired, "2027-03-16"),
            day("2027-03-15"),
        );
        assert_eq!(message.subject, "[fieldcloud] Ihre Lizenz ist abgelaufen");
        assert!(message.text.contains("am 2027-03-15 abgelaufen"));
        assert!(message.text.contains("5 GB"), "{}", message.text);
    }

    #[test]
    fn every_language_fills_every_placeholder_and_says_each_kind_its_own_way() {
        let kinds = [
            (ReminderKind::Monthly, "2027-02-01"),
            (ReminderKind::ExpiresToday, "2027-03-15"),
            (ReminderKind::Expired, "2027-03-16"),
        ];
        for language in Language::ALL {
            let mut subjects = Vec::new();
            for (kind, on) in kinds {
                let message = license_reminder_message(
                    &account(language),
                    &reminder(kind, on),
                    day("2027-03-15"),
                );
                for text in [&message.subject, &message.text] {
                    assert!(!text.contains('{'), "{language} {kind}: {text}");
                }
                assert!(message.text.contains("acme"), "{language} {kind}");
                assert!(message.text.contains("2027-03-15"), "{language} {kind}");
                subjects.push(message.subject);
            }
            subjects.dedup();
            assert_eq!(subjects.len(), kinds.len(), "{language}: {subjects:?}");
        }
    }
}
