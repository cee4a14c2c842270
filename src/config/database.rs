//! The `database` section: where Postgres is and how many connections to keep.

use secrecy::SecretString;

use super::{ConfigError, Env, invalid};

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: SecretString,
    pub max_connections: u32,
}

impl DatabaseConfig {
    /// This section alone, for commands that need no other setting (`migrate`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(&Env::process())
    }

    pub(super) fn parse(env: &Env<'_>) -> Result<Self, ConfigError> {
        let url = env.required("DATABASE_URL")?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid("DATABASE_URL", "must be a postgres:// URL"));
        }
        let max_connections =
            env.parsed("SWITCHBOARD_DB_MAX_CONNECTIONS", 20u32, "a whole number")?;
        if max_connections == 0 {
            return Err(invalid(
                "SWITCHBOARD_DB_MAX_CONNECTIONS",
                "must be at least 1",
            ));
        }
        Ok(Self {
            url: url.into(),
            max_connections,
        })
    }
}
