//! `cargo run -p devcloud`: the local cloud with a simulated fleet, until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{bail, Context};
use devcloud::{fleet, recordings, seed, LocalCloud, Ports};
use fieldcloud::domain::auth::{Role, SESSION_IDLE_MILLIS};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;

const USAGE: &str = "usage: devcloud [--bind ADDR] [--api-port N] [--mqtt-port N] [--moto-port N] [--capture-port N] [--interval-secs N] [--no-fleet]
       devcloud job {license-reminder,quota-sweep} --now RFC3339 [--moto-port N]   (against a running local cloud)";

struct Options {
    ports: Ports,
    interval: Duration,
    fleet: bool,
}

fn parse_args() -> anyhow::Result<Options> {
    let mut options = Options {
        ports: Ports {
            moto: 4566,
            mqtt: 1883,
            api: 8787,
            capture: 8788,
            bind: Ipv4Addr::LOCALHOST.into(),
        },
        interval: Duration::from_secs(5),
        fleet: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> anyhow::Result<u64> {
            args.next()
                .and_then(|v| v.parse().ok())
                .with_context(|| format!("{name} takes a number\n{USAGE}"))
        };
        match arg.as_str() {
            "--api-port" => options.ports.api = number("--api-port")? as u16,
            "--mqtt-port" => options.ports.mqtt = number("--mqtt-port")? as u16,
            "--moto-port" => options.ports.moto = number("--moto-port")? as u16,
            "--capture-port" => options.ports.capture = number("--capture-port")? as u16,
            "--interval-secs" => {
                options.interval = Duration::from_secs(number("--interval-secs")?.max(1))
            }
            "--bind" => {
                options.ports.bind =
                    args.next().and_then(|v| v.parse().ok()).with_context(|| {
                        format!(
                            "--bind takes an IP address such as 0.0.0.0 or 192.168.1.20\n{USAGE}"
                        )
                    })?
            }
            "--no-fleet" => options.fleet = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,rumqttd=off,rumqttc=warn,aws=warn".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("job") {
        return devcloud::jobs::run_from_command_line(&args[1..]).await;
    }
    let options = parse_args()?;
    check_ports(&options.ports)?;
    let cloud = LocalCloud::start(options.ports).await?;
    // Built now if its sources changed (a first start installs its packages: a minute
    // or two); without Node.js the API still runs, and the banner says why there is no
    // portal.
    let portal = match devcloud::portal::build().await {
        Ok(portal) => {
            cloud.serve_portal(portal);
            format!(
                "{}/   log in below (account ID, user, password)",
                cloud.api_url
            )
        }
        Err(error) => format!("not served: {error:#}"),
    };
    let demo = seed::tenant(
        &cloud.store,
        "demo",
        Plan::Pro,
        "plant-1",
        &["sim-gw-1", "sim-gw-2", "sim-gw-3"],
    )
    .await?;
    // One account per plan, each with an admin whose password is new on every start;
    // Standard also has a viewer (through a team), Trial only its e-mail login.
    let demo_password = seed::generated_password();
    seed::admin(&cloud.store, &demo.account, "admin", &demo_password).await?;
    seed::demo_alarm(&cloud.store, &demo, "admin").await?;
    // Licenses with reminders due on 2027-02-01 (see the README's license reminders):
    // demo's monthly one, standard-demo's seven days before.
    seed::license(
        &cloud.store,
        &demo.account,
        "2027-03-15",
        "admin@demo.example",
    )
    .await?;
    let mut logins = vec![format!(
        "  demo           pro       admin / {demo_password}"
    )];
    for (account, plan) in [("standard-demo", Plan::Standard), ("free-demo", Plan::Free)] {
        let tenant = seed::tenant(&cloud.store, account, plan, "group-1", &[]).await?;
        let password = seed::generated_password();
        seed::admin(&cloud.store, &tenant.account, "admin", &password).await?;
        if plan == Plan::Standard {
            let email = "admin@standard-demo.example";
            seed::license(&cloud.store, &tenant.account, "2027-02-08", email).await?;
        }
        logins.push(format!(
            "  {account:<14} {:<9} admin / {password}",
            plan.as_str()
        ));
        if plan == Plan::Standard {
            let password = seed::generated_password();
            let viewer = ("operator", password.as_str());
            seed::viewer_through_team(
                &cloud.store,
                &tenant.account,
                &tenant.group,
                viewer,
                "field-team",
            )
            .await?;
            logins.push(format!(
                "  {account:<14} {:<9} operator / {password}   (member; views group-1 through team field-team)",
                plan.as_str()
            ));
        }
    }
    let trial_email = "trial@fieldcloud.example";
    let trial_password = seed::generated_password();
    seed::trial(&cloud.store, "trial-demo", trial_email, &trial_password).await?;
    logins.push(format!(
        "  (Trial: no account ID) trial  {{\"email\": \"{trial_email}\", \"password\": \"{trial_password}\"}}"
    ));

    let mut fleet_tasks = Vec::new();
    if options.fleet {
        let things: Vec<_> = demo
            .apps
            .iter()
            .map(|a| cloud.stack.thing(&a.account, &a.id))
            .collect();
        for (seed, app) in fleet::demo_fleet(&things).into_iter().enumerate() {
            fleet_tasks.push(tokio::spawn(fleet::run_app(
                app,
                cloud.mqtt,
                options.interval,
                seed as u64,
            )));
        }
    }

    // A ready token, so that the commands below need nothing but curl: a login answers
    // JSON, and taking the token out of it would need a JSON tool.
    let token = cloud
        .session_token(&demo.account.id, "admin", Role::Admin, SESSION_IDLE_MILLIS)
        .await?;
    if options.fleet {
        fleet_tasks.push(tokio::spawn(recordings::upload_recordings(
            cloud.api_url.clone(),
            token.clone(),
            demo.group.id.to_string(),
        )));
    }
    let now = devcloud::wall_clock();
    let api = &cloud.api_url;
    let logins = logins.join("\n");
    println!(
        r#"
fieldcloud local cloud is running (it keeps nothing: every start begins empty)
  AWS emulator (moto)  {moto}   tables fieldcloud-registry, fieldcloud-records; buckets fieldcloud-files, fieldcloud-history; queues fieldcloud-recompute, fieldcloud-notify, fieldcloud-files, fieldcloud-jobs
  MQTT broker          mqtt://{mqtt}   apps publish to fieldcloud/v1/local:{{account}}:{{app}}/records
  API                  {api}{api_v6}{lan}
  portal               {portal}
  webhook capture      {capture}   stands in for Slack and WeCom
  simulated fleet      {fleet}

Accounts (account ID, plan, user / password):
{logins}

A token of demo's admin for the next 24 hours, then the live data (run the second
command again to see the values move):
  export TOKEN={token}
  curl -s -H "Authorization: Bearer $TOKEN" {api}/v1/groups/plant-1/latest

A series in 60 buckets (raw while a channel has at most 120 values in the range, then
the minimum and maximum of each bucket):
  curl -s -H "Authorization: Bearer $TOKEN" '{api}/v1/groups/plant-1/series?channel=sim-gw-1/LR8450-0001/CH1-1&channel=sim-gw-2/PW3390-0001/U1&from={from}&to={to}&buckets=60'

The alarm "Line 1 overload" (sim-gw-2/PW3390-0001/I1 above 18 A) fires within two
minutes and every three after. Its notifications in the group's inbox, the mails to
admin@demo.example in the emulator's SES, and the Slack and WeCom posts (the capture
server stands in for both):
  curl -s -H "Authorization: Bearer $TOKEN" {api}/v1/groups/plant-1/inbox
  curl -s {moto}/moto-api/data.json
  curl -s {capture}/captured

The fleet uploads a recording to plant-1's drive a minute after the start and every
ten minutes after; the drive, then one file with a download URL good for five minutes:
  curl -s -H "Authorization: Bearer $TOKEN" '{api}/v1/groups/plant-1/files?folder=recordings'
  curl -s -H "Authorization: Bearer $TOKEN" {api}/v1/groups/plant-1/files/FILE_ID

The same two channels over that range as a ZIP of CSV files Excel opens: the export
runs in the background; read its job until it is "done", with a download URL:
  curl -s -X POST -H "Authorization: Bearer $TOKEN" {api}/v1/groups/plant-1/exports -d '{{"channels":["sim-gw-1/LR8450-0001/CH1-1","sim-gw-2/PW3390-0001/U1"],"from":{from},"to":{to}}}'
  curl -s -H "Authorization: Bearer $TOKEN" {api}/v1/groups/plant-1/exports/JOB_ID

Logging in yourself answers a token the same way (as "token" in its JSON answer):
  curl -s -X POST {api}/v1/login -d '{{"account":"demo","user":"admin","password":"{demo_password}"}}'

Ctrl-C stops everything.
"#,
        moto = cloud.moto.endpoint,
        capture = cloud.capture_url,
        mqtt = cloud.mqtt,
        api_v6 = cloud
            .api_url_v6
            .as_deref()
            .map(|u| format!(" and {u}"))
            .unwrap_or_default(),
        // A specific address is in the lines above already; "every address" is not one
        // to connect to.
        lan = if options.ports.bind.is_unspecified() {
            "\n  from the LAN         this machine's address, same ports (listening on every address)"
        } else {
            ""
        },
        fleet = if options.fleet {
            format!(
                "3 apps of account demo, 5 instruments, a record each every {}s; a recording to the drive every 10 min",
                options.interval.as_secs()
            )
        } else {
            "off".into()
        },
        from = now.0 - 60 * Millis::MINUTE,
        to = now.0 + 24 * 60 * Millis::MINUTE,
    );

    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    for task in fleet_tasks {
        task.abort();
    }
    drop(cloud);
    println!("stopped: fleet, API, rule, broker and moto are down");
    Ok(())
}

/// Refuses a port in use before anything starts, naming the flag that moves it: the usual
/// cause is another local cloud, and a bind error deep in the start would not say which
/// flag to change.
fn check_ports(ports: &Ports) -> anyhow::Result<()> {
    let wanted = [
        (
            "moto",
            "--moto-port",
            Ipv4Addr::LOCALHOST.into(),
            ports.moto,
        ),
        ("the MQTT broker", "--mqtt-port", ports.bind, ports.mqtt),
        ("the API", "--api-port", ports.bind, ports.api),
        (
            "the webhook capture server",
            "--capture-port",
            Ipv4Addr::LOCALHOST.into(),
            ports.capture,
        ),
    ];
    for (what, flag, ip, port) in wanted {
        let address = SocketAddr::new(ip, port);
        match std::net::TcpListener::bind(address) {
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => bail!(
                "port {port} for {what} is already in use on {ip} (another local cloud?): stop what listens there, or choose another port with {flag}"
            ),
            Err(error) => bail!(
                "{what} cannot listen on {address}: {error} (--bind takes an address of this machine, or 0.0.0.0 for all of them)"
            ),
        }
    }
    Ok(())
}
