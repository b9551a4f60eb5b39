//! What notifications say, in each language of [`Language`]: every phrase here, none
//! in the logic that composes them (`message.rs`).

use crate::domain::settings::Language;

/// The phrases of one language.
pub struct Phrases {
    pub raised: &'static str,
    pub cleared: &'static str,
    pub special_value: &'static str,
    pub test: &'static str,
    pub alarm: &'static str,
    pub group: &'static str,
    pub time: &'static str,
    pub values: &'static str,
    pub no_value: &'static str,
    /// Before the temporary login link of a mail.
    pub open_group: &'static str,
    /// Why a test notification came.
    pub test_explained: &'static str,
    pub app_connected: &'static str,
    pub app_disconnected: &'static str,
    pub app: &'static str,
    /// Before the time an app silent too long was last heard from.
    pub last_heard: &'static str,
}

pub fn phrases(language: Language) -> &'static Phrases {
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
    raised: "报警发生",
    cleared: "报警解除",
    special_value: "特殊值",
    test: "测试通知",
    alarm: "报警",
    group: "测量组",
    time: "时间",
    values: "通道值",
    no_value: "尚无数值",
    open_group: "查看测量组（只读，链接30分钟内有效）",
    test_explained: "这是一条测试通知：此报警的通知将发送到这里。",
    app_connected: "应用已连接",
    app_disconnected: "应用已断开",
    app: "应用",
    last_heard: "最后通信时间",
};

static JA: Phrases = Phrases {
    raised: "アラーム発生",
    cleared: "アラーム解除",
    special_value: "特殊値",
    test: "テスト通知",
    alarm: "アラーム",
    group: "計測グループ",
    time: "日時",
    values: "チャンネル値",
    no_value: "値なし",
    open_group: "グループを表示（閲覧のみ、リンクは30分間有効）",
    test_explained: "テスト通知です。このアラームの通知はここに届きます。",
    app_connected: "アプリ接続",
    app_disconnected: "アプリ切断",
    app: "アプリ",
    last_heard: "最終受信日時",
};

static EN: Phrases = Phrases {
    raised: "Alarm raised",
    cleared: "Alarm cleared",
    special_value: "Special value",
    test: "Test notification",
    alarm: "Alarm",
    group: "Group",
    time: "Time",
    values: "Channel values",
    no_value: "no value yet",
    open_group: "Open the group (view only, link valid for 30 minutes)",
    test_explained: "This is a test: this alarm's notifications will arrive here.",
    app_connected: "App connected",
    app_disconnected: "App disconnected",
    app: "App",
    last_heard: "Last heard from",
};

static ES: Phrases = Phrases {
    raised: "Alarma activada",
    cleared: "Alarma desactivada",
    special_value: "Valor especial",
    test: "Notificación de prueba",
    alarm: "Alarma",
    group: "Grupo",
    time: "Hora",
    values: "Valores de los canales",
    no_value: "sin valor aún",
    open_group: "Abrir el grupo (solo lectura, enlace válido 30 minutos)",
    test_explained: "Esto es una prueba: las notificaciones de esta alarma llegarán aquí.",
    app_connected: "Aplicación conectada",
    app_disconnected: "Aplicación desconectada",
    app: "Aplicación",
    last_heard: "Última comunicación",
};

static FR: Phrases = Phrases {
    raised: "Alarme déclenchée",
    cleared: "Alarme levée",
    special_value: "Valeur spéciale",
    test: "Notification de test",
    alarm: "Alarme",
    group: "Groupe",
    time: "Heure",
    values: "Valeurs des voies",
    no_value: "pas encore de valeur",
    open_group: "Ouvrir le groupe (lecture seule, lien valable 30 minutes)",
    test_explained: "Ceci est un test : les notifications de cette alarme arriveront ici.",
    app_connected: "Application connectée",
    app_disconnected: "Application déconnectée",
    app: "Application",
    last_heard: "Dernier contact",
};

static DE: Phrases = Phrases {
    raised: "Alarm ausgelöst",
    cleared: "Alarm aufgehoben",
    special_value: "Sonderwert",
    test: "Testbenachrichtigung",
    alarm: "Alarm",
    group: "Gruppe",
    time: "Zeit",
    values: "Kanalwerte",
    no_value: "noch kein Wert",
    open_group: "Gruppe öffnen (nur Ansicht, Link 30 Minuten gültig)",
    test_explained: "Dies ist ein Test: Die Benachrichtigungen dieses Alarms kommen hier an.",
    app_connected: "App verbunden",
    app_disconnected: "App getrennt",
    app: "App",
    last_heard: "Zuletzt empfangen",
};

static IT: Phrases = Phrases {
    raised: "Allarme attivato",
    cleared: "Allarme rientrato",
    special_value: "Valore speciale",
    test: "Notifica di prova",
    alarm: "Allarme",
    group: "Gruppo",
    time: "Ora",
    values: "Valori dei canali",
    no_value: "nessun valore",
    open_group: "Apri il gruppo (sola lettura, link valido 30 minuti)",
    test_explained: "Questa è una prova: le notifiche di questo allarme arriveranno qui.",
    app_connected: "App connessa",
    app_disconnected: "App disconnessa",
    app: "App",
    last_heard: "Ultimo contatto",
};
