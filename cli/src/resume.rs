//! `grkeeper resume --cluster NAME [--instance ID]`: ends a pause before it expires; the next
//! tick acts again. Resuming what is not paused is not an error.

use grkeeper::ports::journal::Journal;

use crate::{Failure, environment, scope};

/// Arguments of `grkeeper resume`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  grkeeper resume --cluster orders\n  grkeeper resume --cluster orders --instance orders-2"
)]
pub struct Args {
    /// The cluster.
    #[arg(long)]
    cluster: String,
    /// Only this instance's pause (a cluster pause stays).
    #[arg(long)]
    instance: Option<String>,
}

pub async fn run(args: &Args) -> Result<(), Failure> {
    let (cluster, instance) = scope::names(&args.cluster, args.instance.as_deref())?;
    let journal = environment::journal().await?;
    journal
        .resume(&cluster, instance.as_deref())
        .await
        .map_err(|e| Failure::Failed(e.to_string()))?;
    match instance {
        Some(instance) => println!("resumed {instance} of cluster {cluster}"),
        None => println!("resumed cluster {cluster}"),
    }
    Ok(())
}
