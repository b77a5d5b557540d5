//! Measures the queue at the size `examples/seed_cases.rs` left the database: claim-next (each
//! claim released again, so the queue keeps its size), the first page of a filtered queue
//! listing and the post's statistics, each over HTTP against the
//! service started in-process on that database, by four concurrent staff members of one seeded
//! post. Prints the median and the 99th percentile of each.
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/evisa_scale \
//!   cargo run --release --example queue_scale
//! EVISA_DATA_DIR=/tmp/evisa-scale cargo run --release --example queue_scale
//! ```

use std::time::{Duration, Instant};

use evisa::app::accounts::{self, AccountInput};
use evisa::auth::password;
use evisa::config::Config;
use evisa::domain::role::Role;
use evisa::startup::Application;

const PASSWORD: &str = "Scale-staff-pass-2027";
const POST: &str = "SEED-P07";
const CLIENTS: usize = 4;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// The latencies the client tasks measured, together and sorted.
async fn sorted_latencies(
    tasks: Vec<actix_web::rt::task::JoinHandle<anyhow::Result<Vec<Duration>>>>,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    latencies.sort();
    Ok(latencies)
}

/// Sends `per_client` requests from each of the clients (one token each) and returns the
/// latencies, sorted; every answer must have one of the `expected` statuses.
async fn measure(
    method: reqwest::Method,
    url: String,
    tokens: &[String],
    per_client: usize,
    expected: &'static [u16],
) -> anyhow::Result<Vec<Duration>> {
    let client = reqwest::Client::new();
    let tasks: Vec<_> = tokens
        .iter()
        .map(|token| {
            let (client, url, token, method) = (client.clone(), url.clone(), token.clone(), method.clone());
            actix_web::rt::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let sent = Instant::now();
                    let response = client.request(method.clone(), &url).bearer_auth(&token).send().await?;
                    let status = response.status().as_u16();
                    response.bytes().await?;
                    latencies.push(sent.elapsed());
                    anyhow::ensure!(expected.contains(&status), "{url}: status {status}");
                }
                Ok(latencies)
            })
        })
        .collect();
    sorted_latencies(tasks).await
}

/// Each client claims the next case and releases it again, `per_client` times; returns the
/// latencies of the claims, sorted.
async fn claims(base: &str, tokens: &[String], per_client: usize) -> anyhow::Result<Vec<Duration>> {
    let client = reqwest::Client::new();
    let tasks: Vec<_> = tokens
        .iter()
        .map(|token| {
            let (client, base, token) = (client.clone(), base.to_owned(), token.clone());
            actix_web::rt::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let sent = Instant::now();
                    let response = client.post(format!("{base}/api/v1/queue/claim")).bearer_auth(&token).send().await?;
                    anyhow::ensure!(response.status() == 200, "claim: status {}", response.status());
                    let case: serde_json::Value = response.json().await?;
                    latencies.push(sent.elapsed());
                    let id = case["id"].as_str().unwrap_or_default();
                    let released =
                        client.post(format!("{base}/api/v1/cases/{id}/release")).bearer_auth(&token).send().await?;
                    anyhow::ensure!(released.status() == 200, "release: status {}", released.status());
                }
                Ok(latencies)
            })
        })
        .collect();
    sorted_latencies(tasks).await
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    config.bind = "127.0.0.1:0".into();
    config.login_burst = 1000;
    config.ip_rate_limit = 0;
    config.issuance_worker = false;
    config.mail_worker = false;
    let backend = format!("{:?}", evisa::db::Backend::of_url(&config.database_url));
    let app = Application::build(config.clone())?;
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());

    let db = evisa::db::Db::connect(&config.database_url, 1)?;
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let total: i64 =
        diesel::RunQueryDsl::get_result(diesel::QueryDsl::count(evisa::db::schema::cases::table), &mut conn)?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for (i, role) in [Role::Officer, Role::Officer, Role::Supervisor, Role::Supervisor].into_iter().enumerate() {
        let email = format!("scale.{i}.{}@consulate.test", &run[..8]);
        let account = accounts::validate(AccountInput {
            email: email.clone(),
            password: PASSWORD.into(),
            full_name: "Scale Staff".into(),
            role,
            post: Some(POST.into()),
            preferred_language: None,
        })
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        accounts::insert(&mut conn, &account, &password::hash(account.password())?)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let body = serde_json::json!({"email": email, "password": PASSWORD});
        let token: serde_json::Value =
            client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await?.json().await?;
        tokens.push(token["access_token"].as_str().unwrap_or_default().to_owned());
    }
    let supervisors = &tokens[2..];

    // Warm up the connections and caches, then measure.
    measure(reqwest::Method::GET, format!("{base}/api/v1/stats"), supervisors, 5, &[200]).await?;
    let listing = format!("{base}/api/v1/queue?service=TOURIST&overdue=true&per_page=20");
    let figures = [
        ("claim next (then release)", claims(&base, &tokens, 500).await?),
        ("queue, first page (TOURIST, overdue)", measure(reqwest::Method::GET, listing, &tokens, 500, &[200]).await?),
        (
            "statistics of the post",
            measure(reqwest::Method::GET, format!("{base}/api/v1/stats"), supervisors, 500, &[200]).await?,
        ),
    ];
    println!("{backend}, {total} cases, {CLIENTS} concurrent staff at {POST}:");
    for (name, latencies) in figures {
        println!(
            "  {name:<40} {:>5} requests  p50 {:>7.2} ms  p99 {:>7.2} ms",
            latencies.len(),
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99)
        );
    }
    Ok(())
}
