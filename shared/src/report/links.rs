//! Where a person looks: the deployment an alert comes from (AWS account, Region, stack) and
//! console links built from it: each member's RDS console page, and a CloudWatch Logs Insights
//! query for one tick's log lines (the snapshot it planned on among them).

use chrono::{DateTime, TimeDelta, Utc};

/// The deployment a tick runs in, as its alerts name it. Every part may be unknown (a local
/// run); the links are then left out, never guessed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deployment {
    /// The AWS partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: Option<String>,
    /// The AWS account id.
    pub account: Option<String>,
    /// The Region of the members and the functions.
    pub region: Option<String>,
    /// The deployment's name (`GRKEEPER_DEPLOYMENT`, its CloudFormation stack).
    pub name: Option<String>,
    /// The log group the tick writes to (`AWS_LAMBDA_LOG_GROUP_NAME` in a function).
    pub log_group: Option<String>,
}

impl Deployment {
    /// The account and Region of an ARN (`arn:aws:sns:eu-west-1:123456789012:alerts`): the
    /// alert topic lives where the deployment does. Anything else gives nothing.
    pub fn from_arn(arn: &str) -> Deployment {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let part = |i: usize| {
            parts
                .get(i)
                .filter(|p| !p.is_empty())
                .map(|p| (*p).to_owned())
        };
        if parts.len() < 6 || parts[0] != "arn" {
            return Deployment::default();
        }
        Deployment {
            partition: part(1),
            region: part(3),
            account: part(4),
            ..Deployment::default()
        }
    }

    /// One line naming it: `account 123456789012, region eu-west-1, deployment grkeeper-prod`.
    pub fn describe(&self) -> String {
        let or_unknown = |value: &Option<String>| value.as_deref().unwrap_or("unknown").to_owned();
        format!(
            "account {}, region {}, deployment {}",
            or_unknown(&self.account),
            or_unknown(&self.region),
            or_unknown(&self.name)
        )
    }

    /// The console's host for this partition and Region.
    fn console(&self) -> Option<String> {
        let region = self.region.as_deref()?;
        let domain = match self.partition.as_deref().unwrap_or("aws") {
            "aws" => "console.aws.amazon.com",
            "aws-cn" => "console.amazonaws.cn",
            "aws-us-gov" => "console.amazonaws-us-gov.com",
            _ => return None,
        };
        Some(format!("https://{region}.{domain}"))
    }

    /// The RDS console page of DB instance `instance`.
    pub fn rds_console(&self, instance: &str) -> Option<String> {
        let console = self.console()?;
        let region = self.region.as_deref()?;
        Some(format!(
            "{console}/rds/home?region={region}#database:id={};is-cluster=false",
            url_component(instance)
        ))
    }

    /// A CloudWatch Logs Insights query for the lines of tick `tick` in the log group, from ten
    /// minutes before `at` to ten minutes after.
    pub fn logs_insights(&self, tick: &str, at: DateTime<Utc>) -> Option<String> {
        let console = self.console()?;
        let region = self.region.as_deref()?;
        let group = self.log_group.as_deref()?;
        let window = TimeDelta::minutes(10);
        let stamp = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let query = format!(
            "fields @timestamp, @message\n| filter @message like \"{}\"\n| sort @timestamp asc",
            tick.replace(['"', '\\'], "")
        );
        // The console's own format: a JSURL-like object (`~(key~value)`, strings after `'`)
        // whose strings are percent-encoded with `*` for `%`; the whole is then escaped twice
        // (JavaScript's `escape`, then `encodeURIComponent`) with `$` for `%`.
        let detail = format!(
            "~(end~'{}~start~'{}~timeType~'ABSOLUTE~tz~'UTC~editorString~'{}~source~(~'{}))",
            star(&stamp(at + window)),
            star(&stamp(at - window)),
            star(&query),
            star(group)
        );
        Some(format!(
            "{console}/cloudwatch/home?region={region}#logsV2:logs-insights$3FqueryDetail$3D{}",
            console_escape(&detail)
        ))
    }
}

/// Percent-encodes everything but letters, digits and `-._~`.
fn url_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `escape` then `encodeURIComponent`, `$` for `%`: what both leave alone stays, what only
/// `escape` leaves is encoded once, the rest twice.
fn console_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'*') {
            out.push(char::from(byte));
        } else if matches!(byte, b'@' | b'+' | b'/') {
            out.push_str(&format!("${byte:02X}"));
        } else {
            out.push_str(&format!("$25{byte:02X}"));
        }
    }
    out
}

/// A string value of the console's query format: percent-encoded, `*` for `%`.
fn star(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("*{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment() -> Deployment {
        Deployment {
            log_group: Some("/aws/lambda/grkeeper-prod-sweep".into()),
            name: Some("grkeeper-prod".into()),
            ..Deployment::from_arn("arn:aws:sns:eu-west-1:123456789012:grkeeper-alerts")
        }
    }

    #[test]
    fn the_account_and_region_come_from_the_topic_arn() {
        let d = deployment();
        assert_eq!(d.account.as_deref(), Some("123456789012"));
        assert_eq!(d.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            d.describe(),
            "account 123456789012, region eu-west-1, deployment grkeeper-prod"
        );
        assert_eq!(Deployment::from_arn("in-memory"), Deployment::default());
        assert_eq!(
            Deployment::default().describe(),
            "account unknown, region unknown, deployment unknown"
        );
    }

    #[test]
    fn a_member_links_to_its_rds_console_page() {
        assert_eq!(
            deployment().rds_console("orders-2").as_deref(),
            Some(
                "https://eu-west-1.console.aws.amazon.com/rds/home?region=eu-west-1\
                 #database:id=orders-2;is-cluster=false"
            )
        );
        let china = Deployment::from_arn("arn:aws-cn:sns:cn-north-1:123456789012:a");
        assert!(
            china
                .rds_console("db")
                .unwrap()
                .starts_with("https://cn-north-1.console.amazonaws.cn/")
        );
        assert_eq!(Deployment::default().rds_console("db"), None);
    }

    #[test]
    fn a_tick_links_to_a_logs_insights_query_for_its_id() {
        let at = crate::fixtures::at("2026-11-30T03:12:00Z");
        let url = deployment()
            .logs_insights("8f14e45f-ceea-467f-a9d2-5c0c1b2d3e4f", at)
            .unwrap();
        assert!(url.starts_with(
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1\
             #logsV2:logs-insights$3FqueryDetail$3D$257E$2528end$257E$25272026-11-30T03*3A22*3A00.000Z"
        ));
        // Decoding the console's layers gives back the query and the log group.
        let outer = url
            .split("$3FqueryDetail$3D")
            .nth(1)
            .unwrap()
            .replace('$', "%");
        let detail = percent_decode(&percent_decode(&outer));
        let editor = detail.split("editorString~'").nth(1).unwrap();
        let editor = percent_decode(&editor.split('~').next().unwrap().replace('*', "%"));
        assert_eq!(
            editor,
            "fields @timestamp, @message\n| filter @message like \
             \"8f14e45f-ceea-467f-a9d2-5c0c1b2d3e4f\"\n| sort @timestamp asc"
        );
        assert!(detail.ends_with("source~(~'*2Faws*2Flambda*2Fgrkeeper-prod-sweep))"));
        assert!(url.chars().all(|c| c.is_ascii_graphic()), "{url}");
    }

    fn percent_decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
}
