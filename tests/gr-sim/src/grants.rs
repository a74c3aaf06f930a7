//! The account's privileges, as `SHOW GRANTS` prints them and as the server enforces them on
//! what the simulator serves: `SELECT` on a table, `EXECUTE` on a procedure. The default is the
//! RDS for MySQL 8.0.36+ master user's (everything grkeeper uses, no `SUPER`,
//! `SYSTEM_VARIABLES_ADMIN`, `GROUP_REPLICATION_ADMIN` nor `CONNECTION_ADMIN`); a test gives
//! other lines to play an account set up by hand ([`crate::SimConfig::grants`]).

/// Where a privilege applies.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Object {
    /// `*.*`
    Global,
    /// `db.*`
    Schema(String),
    /// `db.table`
    Table(String, String),
    /// `PROCEDURE db.name`
    Procedure(String, String),
}

/// One `GRANT privileges ON object TO account` line, parsed; role grants hold no privilege here.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    privileges: Vec<String>,
    object: Object,
}

/// The account's grant lines and what they allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grants {
    lines: Vec<String>,
    parsed: Vec<Grant>,
}

/// `{account}` in a configured line stands for the quoted account, e.g. `` `admin`@`%` ``.
pub const ACCOUNT: &str = "{account}";

impl Grants {
    /// The RDS master user's grants (8.0.36 and later), for `user`.
    pub fn master_user(user: &str) -> Grants {
        Grants::new(
            user,
            &[
                "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, \
                 INDEX, ALTER, SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, \
                 REPLICATION SLAVE, REPLICATION CLIENT, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, \
                 ALTER ROUTINE, CREATE USER, EVENT, TRIGGER, CREATE ROLE, DROP ROLE ON *.* TO \
                 {account} WITH GRANT OPTION",
                "GRANT APPLICATION_PASSWORD_ADMIN,ROLE_ADMIN,SET_USER_ID,XA_RECOVER_ADMIN ON *.* \
                 TO {account} WITH GRANT OPTION",
                "GRANT `rds_superuser_role`@`%` TO {account}",
            ],
        )
    }

    /// The lines given, `{account}` filled in for `user`.
    pub fn new(user: &str, lines: &[impl AsRef<str>]) -> Grants {
        let account = format!("`{user}`@`%`");
        let lines: Vec<String> = lines
            .iter()
            .map(|l| l.as_ref().replace(ACCOUNT, &account))
            .collect();
        let parsed = lines.iter().filter_map(|l| parse(l)).collect();
        Grants { lines, parsed }
    }

    /// What `SHOW GRANTS` prints, one line per row.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// May the account `SELECT` from `schema.table`?
    pub fn select(&self, schema: &str, table: &str) -> bool {
        self.allows("SELECT", |object| match object {
            Object::Global => true,
            Object::Schema(s) => s.eq_ignore_ascii_case(schema),
            Object::Table(s, t) => s.eq_ignore_ascii_case(schema) && t.eq_ignore_ascii_case(table),
            Object::Procedure(..) => false,
        })
    }

    /// May the account `CALL schema.name`?
    pub fn execute(&self, schema: &str, name: &str) -> bool {
        self.allows("EXECUTE", |object| match object {
            Object::Global => true,
            Object::Schema(s) => s.eq_ignore_ascii_case(schema),
            Object::Procedure(s, n) => {
                s.eq_ignore_ascii_case(schema) && n.eq_ignore_ascii_case(name)
            }
            Object::Table(..) => false,
        })
    }

    fn allows(&self, privilege: &str, on: impl Fn(&Object) -> bool) -> bool {
        self.parsed.iter().any(|grant| {
            on(&grant.object)
                && grant
                    .privileges
                    .iter()
                    .any(|p| p == privilege || p == "ALL PRIVILEGES" || p == "ALL")
        })
    }
}

/// `GRANT a, b ON [PROCEDURE] x.y TO ...`; `None` for a role grant or anything else.
fn parse(line: &str) -> Option<Grant> {
    let rest = line.trim().strip_prefix("GRANT ")?;
    let (privileges, rest) = rest.split_once(" ON ")?;
    let (object, _) = rest.split_once(" TO ")?;
    let object = object.trim();
    let (procedure, object) = match object.strip_prefix("PROCEDURE ") {
        Some(name) => (true, name),
        None => (false, object),
    };
    let unquote = |s: &str| s.trim().trim_matches('`').to_owned();
    let (schema, name) = object.split_once('.')?;
    let object = match (procedure, unquote(schema).as_str(), unquote(name).as_str()) {
        (true, schema, name) => Object::Procedure(schema.to_owned(), name.to_owned()),
        (false, "*", "*") => Object::Global,
        (false, schema, "*") => Object::Schema(schema.to_owned()),
        (false, schema, table) => Object::Table(schema.to_owned(), table.to_owned()),
    };
    Some(Grant {
        privileges: privileges
            .split(',')
            .map(|p| p.trim().to_ascii_uppercase())
            .collect(),
        object,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_master_user_may_read_every_table_and_call_every_procedure() {
        let grants = Grants::master_user("admin");
        assert!(grants.select("mysql", "rds_history"));
        assert!(grants.execute("mysql", "rds_group_replication_start"));
        assert!(grants.lines()[0].ends_with("TO `admin`@`%` WITH GRANT OPTION"));
    }

    #[test]
    fn grants_apply_to_their_schema_table_or_procedure_only() {
        let grants = Grants::new(
            "grkeeper",
            &[
                "GRANT USAGE ON *.* TO {account}",
                "GRANT SELECT ON `performance_schema`.* TO {account}",
                "GRANT SELECT ON `mysql`.`rds_history` TO {account}",
                "GRANT EXECUTE ON PROCEDURE `mysql`.`rds_group_replication_stop` TO {account}",
            ],
        );
        assert!(grants.select("performance_schema", "replication_group_members"));
        assert!(grants.select("mysql", "rds_history"));
        assert!(!grants.select("mysql", "rds_configuration"));
        assert!(grants.execute("mysql", "rds_group_replication_stop"));
        assert!(!grants.execute("mysql", "rds_group_replication_start"));
    }
}
