//! `minqing serve`, `user add` and `audit verify`: the dashboard and what it needs.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use super::{Ctx, Status};
use crate::serve::users::{Role, Users};

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// The users file (`minqing user add` writes it); the audit log goes beside it
    #[arg(long, value_name = "FILE")]
    users: PathBuf,
    /// Address and port to listen on (0.0.0.0:8080 for the whole intranet)
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    bind: String,
}

pub(super) fn serve(ctx: &Ctx, a: ServeArgs) -> anyhow::Result<Status> {
    crate::serve::serve(&ctx.warehouse(Path::new("warehouse")), &a.users, &a.bind)?;
    Ok(Status::Ok)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum RoleArg {
    /// Sees every case
    County,
    /// Sees the cases whose 问题属地 is its township (--scope)
    Town,
    /// Sees the cases assigned to its department (--scope), never the petitioner's identity
    Dept,
}

#[derive(Debug, Subcommand)]
pub(super) enum UserCommand {
    /// Add a dashboard user, or change one's role, scope and password. The password is read
    /// from stdin (one line), stored as an argon2id hash
    Add {
        /// The users file
        #[arg(long, value_name = "FILE")]
        users: PathBuf,
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The township (role town) or department (role dept), as the cases name it
        #[arg(long, value_name = "NAME", default_value = "")]
        scope: String,
    },
}

pub(super) fn user(c: UserCommand) -> anyhow::Result<Status> {
    match c {
        UserCommand::Add { users, name, role, scope } => {
            let role = match role {
                RoleArg::County => Role::County,
                RoleArg::Town => Role::Town,
                RoleArg::Dept => Role::Dept,
            };
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let password = line.trim_end_matches(['\n', '\r']);
            Users::new(&users).add(&name, role, &scope, password)?;
            eprintln!(
                "user {name} ({role}{}) saved in {}",
                if scope.is_empty() { String::new() } else { format!(": {scope}") },
                users.display()
            );
            Ok(Status::Ok)
        }
    }
}

#[derive(Debug, Subcommand)]
pub(super) enum AuditCommand {
    /// Check the dashboard's audit log: every line numbered in order, chained to the one
    /// before by BLAKE3 and unedited. Exit 2 names the first broken line
    Verify {
        /// The users file whose audit log to check (or --log FILE)
        #[arg(long, value_name = "FILE", required_unless_present = "log")]
        users: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        log: Option<PathBuf>,
    },
}

pub(super) fn audit(c: AuditCommand) -> anyhow::Result<Status> {
    match c {
        AuditCommand::Verify { users, log } => {
            let path =
                log.unwrap_or_else(|| crate::serve::audit::path_for(users.as_deref().expect("clap requires one")));
            let v = crate::serve::audit::verify(&path)?;
            println!("{}: {} lines, chain intact (last {})", path.display(), v.lines, &v.last_hash[..16]);
            Ok(Status::Ok)
        }
    }
}

#[derive(Debug, Args)]
pub(super) struct LoadArgs {
    /// The running dashboard's address
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    addr: String,
    /// A user of the dashboard; the password is read from stdin (one line)
    #[arg(long)]
    user: String,
    /// Concurrent clients
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// How long
    #[arg(long, default_value_t = 20)]
    seconds: u64,
}

pub(super) fn load(a: LoadArgs) -> anyhow::Result<Status> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let cfg = crate::serve::load::LoadConfig {
        addr: a.addr,
        user: a.user,
        password: line.trim_end_matches(['\n', '\r']).to_string(),
        clients: a.clients.max(1),
        seconds: a.seconds.max(1),
    };
    let r = crate::serve::load::load(&cfg)?;
    println!("{r}");
    Ok(if r.errors > 0 { Status::Attention } else { Status::Ok })
}
