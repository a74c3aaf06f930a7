//! A person's MySQL client on a simulated member (mysql_async, the master user, no TLS): the SQL
//! the demo types to set the cluster up and to cause a failure, and what a client sees.

use std::time::Duration;

use gr_sim::Cluster;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, Row};

/// No statement of the demo takes long; a member that does not answer in this is a failure.
const BOUND: Duration = Duration::from_secs(5);

/// What a member answered.
#[derive(Debug)]
pub enum Reply {
    /// The first column of the first row, if any.
    Done(Option<String>),
    /// A MySQL error (on connect or on the statement).
    Error {
        /// MySQL error number.
        code: u16,
        /// The server's message.
        message: String,
    },
}

/// Connects to `member`, runs `statement`, reads every result set, and disconnects.
pub async fn run(sim: &Cluster, member: &str, statement: &str) -> Result<Reply, String> {
    let url = sim.url(member).map_err(|e| e.to_string())?;
    let opts = Opts::from_url(&url).map_err(|e| format!("{member}: {e}"))?;
    let session = async {
        let mut conn = Conn::new(opts).await?;
        let mut result = conn.query_iter(statement).await?;
        let mut first = None;
        while !result.is_empty() {
            let rows: Vec<Row> = result.collect().await?;
            if first.is_none() {
                first = rows
                    .first()
                    .and_then(|row| row.get_opt::<String, _>(0))
                    .and_then(Result::ok);
            }
        }
        drop(result);
        conn.disconnect().await?;
        Ok::<_, mysql_async::Error>(first)
    };
    match tokio::time::timeout(BOUND, session).await {
        Err(_) => Err(format!(
            "{member} did not answer within {} s",
            BOUND.as_secs()
        )),
        Ok(Ok(first)) => Ok(Reply::Done(first)),
        Ok(Err(mysql_async::Error::Server(error))) => Ok(Reply::Error {
            code: error.code,
            message: error.message,
        }),
        Ok(Err(error)) => Err(format!("{member}: {error}")),
    }
}
