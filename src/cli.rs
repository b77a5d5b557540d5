//! The `evisa` command line.

use clap::{Parser, Subcommand, ValueEnum};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::app::accounts::{self, AccountInput};
use crate::auth::password;
use crate::config::Config;
use crate::db::Db;
use crate::domain::role::Role;
use crate::startup::Application;

/// Consular services and e-visas.
#[derive(Parser)]
#[command(name = "evisa", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage document-signer keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Copy the database (SQLite) and the data directory's keys, secrets and documents into a
    /// new directory laid out as a data directory (see docs/operations.md).
    Backup {
        /// The directory to create (new or empty).
        dest: std::path::PathBuf,
    },
    /// Manage machine clients of the verification API.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Check a document with no network, against a downloaded trust list and revocation file:
    /// an e-visa PDF (its seal and QR token), a seal's bytes (`.seal`), a picture of a QR code
    /// (`.png`, `.jpg`) or a QR token. Says why when it fails. Exits 0 for a valid visa, 1 for
    /// one that is not (expired, not yet valid, revoked), 2 when it cannot be relied on.
    Check {
        /// The document: a path (`.pdf`, `.seal`, `.png`, `.jpg`) or the token itself.
        input: String,
        /// The trust list (`GET /api/v1/offline/trust-list`).
        #[arg(long)]
        trust_list: std::path::PathBuf,
        /// The revocation file (`GET /api/v1/offline/revocations`); without it revocations are
        /// not checked.
        #[arg(long)]
        revocations: Option<std::path::PathBuf>,
        /// The country signing CA certificate to trust (PEM); without it, the CA the trust list
        /// carries is trusted as given.
        #[arg(long)]
        ca: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Register a client; its API key is printed once.
    Create {
        /// Name of the system, such as "Border control, Astana airport".
        #[arg(long)]
        name: String,
        /// Organisation operating it.
        #[arg(long)]
        organisation: String,
        /// Comma-separated scopes: verify, revocations.
        #[arg(long, value_delimiter = ',', default_value = "verify")]
        scopes: Vec<String>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// List the keys and their status.
    List,
    /// Generate a new signer key: certified by the development CA, or with --csr, a key and a
    /// certificate signing request for the country signing CA.
    Generate {
        /// Write a certificate signing request here instead of using the development CA.
        #[arg(long)]
        csr: Option<std::path::PathBuf>,
        /// Make it the active signer at once (development CA only).
        #[arg(long)]
        activate: bool,
    },
    /// Make a key the signer of new visas (with --cert and --ca for a key generated with --csr).
    Activate {
        /// Key id (a thumbprint, which may begin with a hyphen).
        #[arg(allow_hyphen_values = true)]
        kid: String,
        /// The signer certificate issued for the request (PEM).
        #[arg(long, requires = "ca")]
        cert: Option<std::path::PathBuf>,
        /// The CA certificate that issued it (PEM).
        #[arg(long, requires = "cert")]
        ca: Option<std::path::PathBuf>,
    },
    /// Stop signing with a key; it stays published while visas it signed are valid.
    Retire {
        /// Key id (a thumbprint, which may begin with a hyphen).
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account. The password comes from EVISA_NEW_USER_PASSWORD, or is generated
    /// and printed once.
    Create {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// Full name.
        #[arg(long)]
        full_name: String,
        /// Role of the account.
        #[arg(long, value_enum)]
        role: StaffRole,
        /// Consular post code, such as UTO-HQ.
        #[arg(long)]
        post: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum StaffRole {
    Officer,
    Supervisor,
    Admin,
}

impl From<StaffRole> for Role {
    fn from(role: StaffRole) -> Role {
        match role {
            StaffRole::Officer => Role::Officer,
            StaffRole::Supervisor => Role::Supervisor,
            StaffRole::Admin => Role::Admin,
        }
    }
}

/// Runs the command line.
pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Checking needs no configuration, database or logs: a border post runs it offline.
    if let Some(Command::Check { input, trust_list, revocations, ca }) = cli.command {
        std::process::exit(check(&input, &trust_list, revocations.as_deref(), ca.as_deref()));
    }
    crate::telemetry::init();
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Check { .. } => unreachable!("checked before the configuration is read"),
        Command::Migrate => {
            std::fs::create_dir_all(&config.data_dir)?;
            Db::connect(&config.database_url, 1)?;
            println!("database is up to date");
            Ok(())
        }
        Command::Keys { command } => keys(config, command),
        Command::Backup { dest } => {
            let summary = crate::backup::backup(&config, &dest)?;
            println!("backed up {} files to {}", summary.files, dest.display());
            if !summary.database_copied {
                println!("the database is PostgreSQL: dump it with pg_dump as well (docs/operations.md)");
            }
            if summary.documents_elsewhere {
                println!("documents live in the object store (EVISA_STORAGE_URL): back it up by its own means");
            }
            Ok(())
        }
        Command::Client { command: ClientCommand::Create { name, organisation, scopes } } => {
            std::fs::create_dir_all(&config.data_dir)?;
            let db = Db::connect(&config.database_url, 1)?;
            let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
            let (client, key) = db
                .write_transaction(&mut conn, |conn| {
                    crate::app::clients::create(conn, &name, &organisation, &scopes, (None, "system"), None)
                })
                .map_err(|e| anyhow::anyhow!("{}", crate::startup::describe(&e)))?;
            println!("created API client {} ({}) with scopes {}", client.id, client.name, client.scopes);
            println!("api key (shown once): {key}");
            Ok(())
        }
        Command::User { command: UserCommand::Create { email, full_name, role, post } } => {
            let state = crate::startup::bootstrap(config)?;
            let (password, generated) = match std::env::var("EVISA_NEW_USER_PASSWORD") {
                Ok(password) if !password.is_empty() => (password, false),
                _ => (rand::rng().sample_iter(Alphanumeric).take(20).map(char::from).collect(), true),
            };
            let account = accounts::validate(AccountInput {
                email,
                password,
                full_name,
                role: role.into(),
                post: Some(post),
                preferred_language: None,
            })
            .map_err(|e| anyhow::anyhow!("{}", crate::startup::describe(&e)))?;
            let hash = password::hash(account.password())?;
            let mut conn = state.db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = accounts::insert(&mut conn, &account, &hash)
                .map_err(|e| anyhow::anyhow!("{}", crate::startup::describe(&e)))?;
            println!("created {} {} ({}) at {}", user.role, user.email, user.id, user.post_code.unwrap_or_default());
            if generated {
                println!("password (shown once): {}", account.password());
            }
            Ok(())
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        tracing::info!(?config, "starting");
        let app = Application::build(config)?;
        tracing::info!(port = app.port(), "listening");
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn keys(config: Config, command: KeysCommand) -> anyhow::Result<()> {
    use crate::db::keys as rows;
    use crate::issuance::kit::{keyring, keys};
    std::fs::create_dir_all(&config.data_dir)?;
    let db = Db::connect(&config.database_url, 1)?;
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = crate::db::now();
    match command {
        KeysCommand::List => {
            println!("{:<44} {:<8} {:<11} created", "kid", "status", "kind");
            for key in rows::list(&mut conn)? {
                let kind = if key.development { "development" } else { "production" };
                println!("{:<44} {:<8} {:<11} {}", key.kid, key.status, kind, key.created_at.format("%Y-%m-%d %H:%M"));
            }
        }
        KeysCommand::Generate { csr: Some(path), .. } => {
            let key = p256::ecdsa::SigningKey::random(&mut rand_core_06::OsRng);
            let kid = keys::thumbprint(key.verifying_key());
            let dir = keys::dev_dir(&config.data_dir);
            std::fs::create_dir_all(&dir)?;
            let key_file = dir.join(format!("signer-{kid}.key.pem"));
            keys::save_key(&key_file, &key)?;
            let request = keys::make_request(&key, &format!("{} e-visa document signer", config.issuing_state_name))?;
            std::fs::write(&path, request)?;
            rows::insert(
                &mut conn,
                &rows::KeyRow {
                    kid: kid.clone(),
                    certificate_pem: None,
                    ca_certificate_pem: None,
                    key_file: keyring::recorded_path(&config.data_dir, &key_file),
                    status: "pending".into(),
                    development: false,
                    created_at: now,
                    activated_at: None,
                    retired_at: None,
                },
            )?;
            let details = serde_json::json!({"development": false, "csr": path.display().to_string()});
            crate::db::admin_events::record(&mut conn, "generate_key", &kid, (None, "system"), details, None)?;
            println!("generated {kid}; certificate signing request written to {}", path.display());
            println!("once the CA has signed it: evisa keys activate {kid} --cert signer.pem --ca ca.pem");
        }
        KeysCommand::Generate { csr: None, activate } => {
            let (signer, key_file) =
                keys::new_dev_signer(&config.data_dir, &config.issuing_state, &config.issuing_state_name)?;
            let details = serde_json::json!({"development": true, "activated": activate});
            db.write_transaction(&mut conn, |conn| {
                keyring::record(
                    conn,
                    &config.data_dir,
                    &signer,
                    &key_file,
                    if activate { "active" } else { "pending" },
                )?;
                crate::db::admin_events::record(conn, "generate_key", &signer.kid, (None, "system"), details, None)?;
                Ok::<_, anyhow::Error>(())
            })?;
            println!("generated {} (development CA){}", signer.kid, if activate { ", active" } else { "" });
        }
        KeysCommand::Activate { kid, cert, ca } => {
            let row = rows::find(&mut conn, &kid)?.ok_or_else(|| anyhow::anyhow!("no key {kid}"))?;
            let certificates = match (cert, ca) {
                (Some(cert), Some(ca)) => Some((std::fs::read_to_string(cert)?, std::fs::read_to_string(ca)?)),
                _ => None,
            };
            let (cert_pem, ca_pem) = match (&certificates, &row.certificate_pem, &row.ca_certificate_pem) {
                (Some((cert, ca)), _, _) => (cert.clone(), ca.clone()),
                (None, Some(cert), Some(ca)) => (cert.clone(), ca.clone()),
                _ => anyhow::bail!("key {kid} has no certificate yet: pass --cert and --ca"),
            };
            let key_file = keyring::key_path(&config.data_dir, &row.key_file);
            let signer = keys::load_signer(&key_file, &cert_pem, &ca_pem, row.development)?;
            anyhow::ensure!(signer.kid == kid, "the certificate belongs to another key");
            db.write_transaction(&mut conn, |conn| {
                rows::set_status(conn, &kid, "active", certificates, now)?;
                crate::db::admin_events::record(
                    conn,
                    "activate_key",
                    &kid,
                    (None, "system"),
                    serde_json::json!({}),
                    None,
                )?;
                Ok::<_, anyhow::Error>(())
            })?;
            println!("{kid} is active");
        }
        KeysCommand::Retire { kid } => {
            let row = rows::find(&mut conn, &kid)?.ok_or_else(|| anyhow::anyhow!("no key {kid}"))?;
            let others_active = rows::list(&mut conn)?.iter().any(|k| k.kid != kid && k.status == "active");
            anyhow::ensure!(
                row.status != "active" || others_active,
                "{kid} is the only active key: activate another first"
            );
            db.write_transaction(&mut conn, |conn| {
                rows::set_status(conn, &kid, "retired", None, now)?;
                crate::db::admin_events::record(
                    conn,
                    "retire_key",
                    &kid,
                    (None, "system"),
                    serde_json::json!({}),
                    None,
                )?;
                Ok::<_, anyhow::Error>(())
            })?;
            println!("{kid} is retired");
        }
    }
    Ok(())
}

/// `evisa check`: prints what was verified and the verdict; the exit code.
fn check(
    input: &str,
    trust_list: &std::path::Path,
    revocations: Option<&std::path::Path>,
    ca: Option<&std::path::Path>,
) -> i32 {
    use crate::issuance::offline::check::{Kit, Untrusted, qr_in_image};
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path).map_err(|e| Untrusted(format!("{}: {e}", path.display())))
    };
    let outcome = (|| {
        let pinned = ca.map(read).transpose()?;
        let pinned = pinned
            .map(|pem| crate::issuance::offline::pem_to_der(&pem).map_err(|e| Untrusted(format!("--ca: {e}"))))
            .transpose()?;
        let revocations = revocations.map(read).transpose()?;
        let kit = Kit::open(&read(trust_list)?, revocations.as_deref(), pinned.as_deref())?;
        let bytes = |path: &str| std::fs::read(path).map_err(|e| Untrusted(format!("{path}: {e}")));
        let lower = input.to_ascii_lowercase();
        if lower.ends_with(".pdf") {
            kit.pdf(&bytes(input)?)
        } else if lower.ends_with(".seal") {
            kit.seal(&bytes(input)?)
        } else if lower.ends_with(".png") || lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
            let image = image::load_from_memory(&bytes(input)?).map_err(|e| Untrusted(format!("{input}: {e}")))?;
            kit.token(&qr_in_image(&image)?)
        } else {
            kit.token(input)
        }
    })();
    match outcome {
        Ok(report) => {
            for line in &report.lines {
                println!("{line}");
            }
            println!("result: {}", report.result);
            if report.result == "valid" { 0 } else { 1 }
        }
        Err(Untrusted(why)) => {
            println!("cannot be relied on: {why}");
            2
        }
    }
}
