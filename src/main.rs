//! `pmsflow`: the one binary of the durable partner-lifecycle orchestrator for MOSIP.
//!
//! - `pmsflow serve [--roles api,worker,scheduler] [--dev]`: run the chosen roles (all by
//!   default); with `mosip.mode = "sandbox"` the sandbox runs in-process and every client points
//!   at it. The sandbox or dev auth on a non-loopback `api.bind` needs `--dev`.
//! - `pmsflow migrate`: create the database if needed and apply migrations.
//! - `pmsflow sandbox [--bind ADDR]`: run the MOSIP counterpart alone.
//! - `pmsflow token --sub ID --roles R1,R2`: mint a dev JWT (auth.mode = "dev").
//! - `pmsflow bench engine|onboarding ...`: benchmarks printing one JSON line of figures.

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use pmsflow::{bench, sandbox_config, serve};
use pmsflow_store::config::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "pmsflow",
    version,
    about = "Durable partner-lifecycle orchestrator for MOSIP"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the API, workers and scheduler (or the roles given).
    Serve {
        /// Comma-separated roles: api, worker, scheduler.
        #[arg(long, value_delimiter = ',', default_value = "api,worker,scheduler")]
        roles: Vec<serve::Role>,
        /// Allow development settings (mosip.mode = "sandbox", auth.mode = "dev") on an
        /// api.bind that is not loopback.
        #[arg(long)]
        dev: bool,
    },
    /// Create the database if needed and apply migrations.
    Migrate,
    /// Apply migrations, then add MOSIP's default partners, policies and API keys.
    Seed,
    /// Run the MOSIP sandbox alone (keymanager, datashare, WebSub, notifier, audit, authmanager).
    Sandbox {
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:9100")]
        bind: String,
        /// Serve on an address that is not loopback (the sandbox signs certificates with a
        /// published test CA and accepts the published service secret).
        #[arg(long)]
        dev: bool,
    },
    /// Mint a dev token signed with auth.dev_secret.
    Token {
        /// Subject (user id; the partner id for partners).
        #[arg(long)]
        sub: String,
        /// Comma-separated realm roles.
        #[arg(long, value_delimiter = ',', default_value = "")]
        roles: Vec<String>,
        /// Validity in minutes.
        #[arg(long, default_value_t = 480)]
        ttl_minutes: u64,
        /// A profile claim, `name=value`, repeatable: what MOSIP's partner portal reads from
        /// its session token (`email`, `organizationName`, `addressTest`, `phoneNumber`,
        /// `partnerType`, `langCode`, `locale`, `name`...).
        #[arg(long = "claim", value_parser = profile_claim)]
        claims: Vec<(String, String)>,
    },
    /// Benchmarks (print one JSON line of figures).
    Bench {
        #[command(subcommand)]
        which: bench::Bench,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load().context("loading configuration")?;
    pmsflow_store::telemetry::init(&settings.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { roles, dev } => serve::serve(settings, roles, dev).await,
            Command::Migrate => {
                let pool = serve::database(&settings).await?;
                println!(
                    "migrations applied to {}",
                    pmsflow::redact_url(&settings.database.url)
                );
                pool.close().await;
                Ok(())
            }
            Command::Seed => {
                let pool = serve::database(&settings).await?;
                let seeded = pmsflow::seed::seed(&pool, &settings.pms).await?;
                println!("{}", serde_json::to_string(&seeded)?);
                pool.close().await;
                Ok(())
            }
            Command::Sandbox { bind, dev } => {
                let host = bind.rsplit_once(':').map_or(bind.as_str(), |(h, _)| h);
                if !dev && !pmsflow_store::config::is_loopback_host(host) {
                    anyhow::bail!(
                        "the sandbox would be served on {bind}, which is not loopback: bind 127.0.0.1, or pass --dev to expose it anyway"
                    );
                }
                let listener = tokio::net::TcpListener::bind(&bind)
                    .await
                    .with_context(|| format!("binding {bind}"))?;
                let sandbox = pmsflow_sandbox::Sandbox::new(sandbox_config(&settings))?;
                println!("sandbox listening on http://{}", listener.local_addr()?);
                sandbox.serve(listener).await?;
                Ok(())
            }
            Command::Token {
                sub,
                roles,
                ttl_minutes,
                claims,
            } => {
                anyhow::ensure!(
                    settings.auth.mode == pmsflow_store::config::AuthMode::Dev,
                    "auth.mode must be \"dev\" to mint tokens"
                );
                let auth = pmsflow_api::access::Authenticator::dev(
                    &settings.auth.dev_secret,
                    &settings.auth.partner_admin_role,
                );
                let roles: Vec<String> = roles.into_iter().filter(|r| !r.is_empty()).collect();
                let profile = claims.into_iter().collect();
                let token = auth
                    .mint_with_profile(&sub, &roles, &profile, Duration::from_secs(ttl_minutes * 60))
                    .context("minting the token")?;
                println!("{token}");
                Ok(())
            }
            Command::Bench { which } => bench::run(settings, which).await,
        }
    })
}

/// `name=value` of `pmsflow token --claim`: a name of letters, digits and `_`, not one the
/// token sets itself (`sub`, `exp`...).
fn profile_claim(arg: &str) -> Result<(String, String), String> {
    let (name, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("{arg:?} is not name=value"))?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("{name:?} is not a claim name (letters, digits, _)"));
    }
    if pmsflow_api::access::RESERVED_CLAIMS.contains(&name) {
        return Err(format!("{name} is set by pmsflow itself"));
    }
    Ok((name.to_owned(), value.to_owned()))
}
