//! The `evisa` command line.

use clap::{Parser, Subcommand, ValueEnum};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::accounts::{self, AccountInput};
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
    crate::telemetry::init();
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => {
            std::fs::create_dir_all(&config.data_dir)?;
            Db::connect(&config.database_url, 1)?;
            println!("database is up to date");
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
